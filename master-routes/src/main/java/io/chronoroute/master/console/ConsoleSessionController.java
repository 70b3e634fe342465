package io.chronoroute.master.console;

import io.chronoroute.master.config.MasterSecrets;
import jakarta.servlet.http.HttpServletRequest;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.http.CacheControl;
import org.springframework.http.ResponseEntity;
import org.springframework.security.core.Authentication;
import org.springframework.security.core.context.SecurityContextHolder;
import org.springframework.security.authentication.AnonymousAuthenticationToken;
import org.springframework.security.web.csrf.CsrfToken;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.servlet.support.ServletUriComponentsBuilder;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code GET /console/session}: what the page needs before anything else: whether it is logged in, the CSRF token
 * of this session (for the login form and every write), and, once logged in, the subscription URL of the feed and
 * the default target of new events.
 */
@RestController
public class ConsoleSessionController {

    private final MasterSecrets secrets;
    private final String defaultTarget;

    public ConsoleSessionController(MasterSecrets secrets,
                                    @Value("${chronoroute.events.default-target:}") String defaultTarget) {
        this.secrets = secrets;
        this.defaultTarget = defaultTarget == null || defaultTarget.isBlank() ? null : defaultTarget.strip();
    }

    @GetMapping(value = "/console/session", produces = "application/json")
    public ResponseEntity<Map<String, Object>> session(HttpServletRequest request) {
        Authentication auth = SecurityContextHolder.getContext().getAuthentication();
        boolean in = auth != null && auth.isAuthenticated() && !(auth instanceof AnonymousAuthenticationToken);
        CsrfToken csrf = (CsrfToken) request.getAttribute(CsrfToken.class.getName());
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("authenticated", in);
        out.put("csrf_header", ConsoleSessionFilter.CSRF_HEADER);
        out.put("csrf_token", csrf == null ? null : csrf.getToken());
        if (in) {
            out.put("user", auth.getName());
            String base = ServletUriComponentsBuilder.fromContextPath(request).build().toUriString();
            out.put("feed_url", base + "/calendar.ics?token=" + secrets.feedToken());
            out.put("default_target", defaultTarget);
        }
        return ResponseEntity.ok().cacheControl(CacheControl.noStore()).body(out);
    }
}
