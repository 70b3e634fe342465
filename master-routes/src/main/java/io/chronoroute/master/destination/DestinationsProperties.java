package io.chronoroute.master.destination;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;

/**
 * The destination part of the master's settings. Keys (all optional except {@code type}; env: relaxed binding, e.g.
 * {@code CHRONOROUTE_DESTINATIONS_WORK_GOOGLE_CLIENTSECRET}):
 * <pre>
 * chronoroute.secret-key                                   key material for encrypting stored secrets (base64 of
 *                                                          32 bytes, or any passphrase: SHA-256 of it); blank =
 *                                                          generated once into ${data-dir}/destination-secret.key (0600)
 * chronoroute.destinations.&lt;name&gt;.type                     google | ews | caldav | graph
 * chronoroute.destinations.&lt;name&gt;.enabled                  true
 * chronoroute.destinations.&lt;name&gt;.calendar-id              primary
 * chronoroute.destinations.&lt;name&gt;.owner                    owner tag value (default: the name)
 * chronoroute.destinations.&lt;name&gt;.delete-guard-share       0.2
 * chronoroute.destinations.&lt;name&gt;.delete-guard-min-deletes 3
 * chronoroute.destinations.&lt;name&gt;.zero-source-min-events   2
 * chronoroute.destinations.&lt;name&gt;.rate                     10   (requests/second, token bucket)
 * chronoroute.destinations.&lt;name&gt;.burst                    10
 * chronoroute.destinations.&lt;name&gt;.max-attempts             8
 * chronoroute.destinations.&lt;name&gt;.backoff-base             1s
 * chronoroute.destinations.&lt;name&gt;.backoff-max              64s
 * chronoroute.destinations.&lt;name&gt;.quota-pause              1h
 * chronoroute.destinations.&lt;name&gt;.floating-zone            UTC
 * chronoroute.destinations.&lt;name&gt;.attendees                description | drop
 * chronoroute.destinations.&lt;name&gt;.page-size                500
 * chronoroute.destinations.&lt;name&gt;.batch-size               50   (writes per batch request where the writer
 *                                                          batches: Google; 0 or 1 = one request per write)
 * chronoroute.destinations.&lt;name&gt;.direction                two-way | one-way (edits made in the destination
 *                                                          become changes | are repaired)
 * chronoroute.destinations.&lt;name&gt;.create-target            &lt;agent-id&gt;/&lt;source-name&gt;: where events created in the
 *                                                          destination are created (two-way; unset = left alone)
 * chronoroute.destinations.&lt;name&gt;.google.client-id / client-secret / refresh-token / access-token
 * chronoroute.destinations.&lt;name&gt;.google.root-url          https://www.googleapis.com/
 * chronoroute.destinations.&lt;name&gt;.google.token-uri         https://oauth2.googleapis.com/token
 * chronoroute.destinations.&lt;name&gt;.google.auth-uri          https://accounts.google.com/o/oauth2/v2/auth
 * chronoroute.destinations.&lt;name&gt;.google.redirect-uri
 * chronoroute.destinations.&lt;name&gt;.google.scope             https://www.googleapis.com/auth/calendar
 * chronoroute.destinations.&lt;name&gt;.google.timeout           30s
 * chronoroute.destinations.&lt;name&gt;.graph.tenant / client-id / client-secret / refresh-token / mailbox / calendar /
 *     create-calendar / graph-url / authority-url / timeout    (type graph: GraphDestinationSettings)
 * </pre>
 * The schedule is not a property: each destination is run by a YAML route instantiating the
 * {@code destination-sync} template (src-routes-yaml templates/master/destination-sync.camel.yaml).
 *
 * @param destinations destinations by name (name: lower-case letters, digits, '-')
 * @param secretKey    see above
 * @param dataDir      the master's data folder (shared with {@code ChronorouteProperties})
 */
@ConfigurationProperties("chronoroute")
public record DestinationsProperties(Map<String, DestinationConfig> destinations, String secretKey,
                                     @DefaultValue("./data") Path dataDir) {

    public DestinationsProperties {
        destinations = destinations == null ? Map.of() : new TreeMap<>(destinations);
        destinations.keySet().forEach(DestinationsProperties::checkName);
    }

    public static String checkName(String name) {
        if (name == null || !name.matches("[a-z0-9][a-z0-9-]{0,62}")) {
            throw new IllegalArgumentException("destination name must match [a-z0-9][a-z0-9-]{0,62}: " + name);
        }
        return name;
    }

    @Override
    public String toString() {
        return "DestinationsProperties[destinations=" + destinations + ", secretKey="
                + (secretKey == null || secretKey.isBlank() ? "<generated>" : "<set>") + ", dataDir=" + dataDir + "]";
    }
}
