package io.chronoroute.master.console;

import io.chronoroute.master.security.Tokens;
import org.springframework.stereotype.Component;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The bridge between the web console's login session and the API's own access checks. The API authenticates in
 * its Camel routes ({@code AccessGuard}), which see HTTP headers only, not the servlet session. For a request that
 * {@link ConsoleSessionFilter} found logged in to the console (and, on writes, carrying the session's CSRF token),
 * the filter issues a one-time pass: a random value valid for that one request only, put in the header
 * {@link #HEADER}; the guard redeems it ({@link #redeem}) and treats the call as the admin's. A pass is withdrawn
 * when that request ends, and the filter drops any such header a client sends, so a value
 * seen once (a log, an echoed header) opens nothing.
 */
@Component
public class ConsoleSessions {

    /** Request header carrying the one-time pass from the filter to the guard. */
    public static final String HEADER = "X-Chronoroute-Console-Pass";

    private final Set<String> open = ConcurrentHashMap.newKeySet();

    /** A new pass, valid until redeemed or {@link #withdraw withdrawn}. */
    String issue() {
        String pass = Tokens.newToken();
        open.add(pass);
        return pass;
    }

    void withdraw(String pass) {
        open.remove(pass);
    }

    /** True for a pass the filter issued for a request still in progress. */
    public boolean redeem(Object pass) {
        return pass instanceof String s && !s.isEmpty() && open.contains(s);
    }
}
