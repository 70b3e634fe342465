package io.chronoroute.master.destination.ews;

import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.core.env.Environment;

import java.net.URI;
import java.time.Duration;

/**
 * EWS settings of one destination, bound from {@code chronoroute.destinations.<name>.ews.*} by
 * {@link EwsDestinationWriterFactory} (the framework's {@code DestinationConfig} ignores these keys).
 * On-premises Exchange only: Exchange Online blocks EWS since 2026-10-01.
 *
 * @param url           service URL, e.g. {@code https://mail.example.org/EWS/Exchange.asmx}
 * @param username      Basic user ({@code DOMAIN\\user} or UPN)
 * @param password      Basic password (placeholder/env only)
 * @param bearerToken   OAuth access token, sent as {@code Authorization: Bearer} (wins over Basic)
 * @param folderId      target calendar FolderId; blank = the distinguished folder {@code calendar}
 * @param version       RequestServerVersion (Exchange2013 default; Exchange2010_SP2 and later work)
 * @param propertySetId our PropertySetId GUID for the extended properties (keep it stable forever)
 * @param timeout       connect/request timeout of one call
 */
public record EwsSettings(String url, String username, String password, String bearerToken, String folderId,
                          @DefaultValue("Exchange2013") String version,
                          @DefaultValue(EwsSettings.DEFAULT_PROPERTY_SET) String propertySetId,
                          @DefaultValue("30s") Duration timeout) {

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
    }

    public static EwsSettings of(String url, String username, String password) {
        return new EwsSettings(url, username, password, null, null, null, null, null);
    }

    public EwsSettings withFolderId(String value) {
        return new EwsSettings(url, username, password, bearerToken, value, version, propertySetId, timeout);
    }

    public static EwsSettings bind(Environment env, String destination) {
        return Binder.get(env).bind("chronoroute.destinations." + destination + ".ews", Bindable.of(EwsSettings.class))
                .orElseThrow(() -> new IllegalStateException("chronoroute.destinations." + destination
                        + ".ews.url is not set"));
    }

    @Override
    public String toString() {
        return "EwsSettings[url=" + url + ", username=" + username + ", password="
                + (password == null || password.isEmpty() ? "<unset>" : "<set>") + ", bearerToken="
                + (bearerToken == null || bearerToken.isEmpty() ? "<unset>" : "<set>") + ", folderId=" + folderId
                + ", version=" + version + ", propertySetId=" + propertySetId + ", timeout=" + timeout + "]";
    }
}
