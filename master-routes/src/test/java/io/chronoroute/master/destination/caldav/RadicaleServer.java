package io.chronoroute.master.destination.caldav;

import io.chronoroute.testsupport.caldav.RadicaleLauncher;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.time.Duration;

/**
 * JUnit 5 extension that runs a real Radicale for a test class ({@link RadicaleLauncher}: no auth, owner_only
 * rights, filesystem storage in a temp folder, a free port), stopped (and the folder removed) after the class.
 * Missing binary = the tests FAIL with the install hint (never skipped).
 */
public final class RadicaleServer implements BeforeAllCallback, AfterAllCallback {

    public static final String BINARY = RadicaleLauncher.BINARY;

    private RadicaleLauncher radicale;

    @Override
    public void beforeAll(ExtensionContext context) {
        try {
            radicale = RadicaleLauncher.start(Duration.ofSeconds(20));
        } catch (IllegalStateException e) {
            throw new AssertionError(e.getMessage(), e);
        }
    }

    @Override
    public void afterAll(ExtensionContext context) {
        if (radicale != null) {
            radicale.close();
        }
    }

    /** {@code http://127.0.0.1:PORT/} */
    public String baseUrl() {
        return radicale.baseUrl();
    }
}
