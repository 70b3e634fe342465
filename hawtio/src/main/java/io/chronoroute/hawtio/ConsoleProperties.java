package io.chronoroute.hawtio;

import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Login for the operator console (Hawtio, Jolokia and every actuator endpoint but health).
 *
 * @param username    console user name (default {@code admin})
 * @param password    console password; when blank a random one is generated at start-up and written to
 *                    {@code passwordFile} (owner-only permissions). There is no built-in default password.
 * @param passwordFile where a generated password is written (default {@code <chronoroute.data-dir>/console-password})
 */
@ConfigurationProperties("chronoroute.console")
public record ConsoleProperties(String username, String password, String passwordFile) {

    public ConsoleProperties {
        username = username == null || username.isBlank() ? "admin" : username;
    }
}
