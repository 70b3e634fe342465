package io.chronoroute.providers.ews;

import java.net.URI;
import java.time.Duration;

/**
 * EWS settings of one mailbox calendar. Plain record: each app binds it from its own keys (the master's EWS
 * destination writer factory from {@code chronoroute.destinations.<name>.ews.*}); missing values get their defaults
 * here, in the constructor, so binding needs no framework annotations.
 * On-premises Exchange only: Exchange Online blocks EWS since 2026-10-01.
 *
 * <p>Authentication ({@code ews.auth}):
 * <ul>
 *   <li>{@code basic} (default when {@code username} is set and no bearer token): HTTP Basic over the JDK
 *       {@code HttpClient}; use HTTPS.</li>
 *   <li>{@code ntlm}: NTLMv2 over {@link java.net.HttpURLConnection} with a per-client {@link java.net.Authenticator}
 *       (the JDK's pure-Java NTLM client, "LMv2/NTLMv2" by default; NTLM is connection-oriented and the JDK
 *       {@code HttpClient} has none). {@code username} is the bare account name ({@code DOMAIN\\user} also works),
 *       {@code domain} the NetBIOS domain. The password is only ever given to the NTLM handshake, never sent as
 *       Basic, even when the server also offers Basic. Do not set the JDK logger
 *       {@code sun.net.www.protocol.http.HttpURLConnection} to DEBUG/FINE: it would log the AUTHENTICATE header.</li>
 *   <li>{@code bearer} (default when {@code bearer-token} is set): OAuth access token as
 *       {@code Authorization: Bearer}.</li>
 * </ul>
 *
 * @param url           service URL, e.g. {@code https://mail.example.org/EWS/Exchange.asmx}
 * @param username      Basic/NTLM user (Basic: {@code DOMAIN\\user} or UPN; NTLM: account name)
 * @param password      Basic/NTLM password (placeholder/env only)
 * @param bearerToken   OAuth access token, sent as {@code Authorization: Bearer}
 * @param auth          {@code basic}, {@code ntlm} or {@code bearer}; blank = bearer when a bearer token is set,
 *                      basic otherwise
 * @param domain        NTLM: the account's (NetBIOS) domain, optional (the JDK upper-cases it)
 * @param workstation   NTLM: workstation name, optional and currently ignored: the JDK NTLM client always sends
 *                      this host's name (logged as a warning when set)
 * @param folderId      target calendar FolderId; blank = the distinguished folder {@code calendar}
 * @param version       RequestServerVersion (Exchange2013 default; Exchange2010_SP2 and later work)
 * @param propertySetId our PropertySetId GUID for the extended properties (keep it stable forever)
 * @param timeout       connect/request timeout of one call
 */
public record EwsSettings(String url, String username, String password, String bearerToken, String folderId,
                          String version, String propertySetId, Duration timeout, Auth auth, String domain,
                          String workstation) {

    /** {@code ews.auth}. */
    public enum Auth { BASIC, NTLM, BEARER }

    /** Chronoroute's own property set (random, fixed once). */
    public static final String DEFAULT_PROPERTY_SET = "6f0a3c1e-9b2d-4c7e-8a51-c4e0d27b9f13";

    public EwsSettings {
        if (url == null || url.isBlank()) {
            throw new IllegalArgumentException("ews.url is required");
        }
        URI.create(url);
        version = version == null || version.isBlank() ? "Exchange2013" : version;
        propertySetId = propertySetId == null || propertySetId.isBlank() ? DEFAULT_PROPERTY_SET : propertySetId;
        timeout = timeout == null ? Duration.ofSeconds(30) : timeout;
        if (auth == null) {
            auth = bearerToken != null && !bearerToken.isBlank() ? Auth.BEARER : Auth.BASIC;
        }
        if (auth == Auth.NTLM && (username == null || username.isBlank())) {
            throw new IllegalArgumentException("ews.auth=ntlm needs ews.username");
        }
        if (auth == Auth.BEARER && (bearerToken == null || bearerToken.isBlank())) {
            throw new IllegalArgumentException("ews.auth=bearer needs ews.bearer-token");
        }
    }

    public static EwsSettings of(String url, String username, String password) {
        return new EwsSettings(url, username, password, null, null, null, null, null, null, null, null);
    }

    /** NTLM settings (tests and programmatic use). */
    public static EwsSettings ntlm(String url, String domain, String username, String password) {
        return new EwsSettings(url, username, password, null, null, null, null, null, Auth.NTLM, domain, null);
    }

    public EwsSettings withFolderId(String value) {
        return new EwsSettings(url, username, password, bearerToken, value, version, propertySetId, timeout, auth,
                domain, workstation);
    }


    @Override
    public String toString() {
        return "EwsSettings[url=" + url + ", username=" + username + ", password="
                + (password == null || password.isEmpty() ? "<unset>" : "<set>") + ", bearerToken="
                + (bearerToken == null || bearerToken.isEmpty() ? "<unset>" : "<set>") + ", folderId=" + folderId
                + ", version=" + version + ", propertySetId=" + propertySetId + ", timeout=" + timeout + ", auth=" + auth
                + ", domain=" + domain + ", workstation=" + workstation + "]";
    }
}
