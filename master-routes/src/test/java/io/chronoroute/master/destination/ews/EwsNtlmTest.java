package io.chronoroute.master.destination.ews;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.chronoroute.master.destination.DestinationContext;
import io.chronoroute.master.destination.DestinationStatus;
import io.chronoroute.master.destination.DestinationSyncService;
import io.chronoroute.master.destination.DestinationWriter;
import io.chronoroute.master.destination.DestinationWriterFactory;
import io.chronoroute.master.destination.SyncResult;
import io.chronoroute.master.destination.caldav.SyncHarness;
import io.chronoroute.processors.model.CalendarEvent;
import io.chronoroute.processors.sync.SyncKey;
import io.chronoroute.providers.ews.EwsSettings;
import io.chronoroute.testsupport.ews.FakeEwsServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import static io.chronoroute.master.destination.caldav.SyncHarness.event;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The EWS writer authenticating with NTLM (JDK HttpURLConnection client) against {@link FakeEwsServer}'s NTLMv2
 * verifier, through the real sync service; all logging (logback and java.util.logging at ALL) is captured and
 * searched for the password and the AUTHENTICATE message.
 */
class EwsNtlmTest {

    private static final String SET = EwsSettings.DEFAULT_PROPERTY_SET;
    private static final String PASSWORD = "S3cret-Pa55!";
    /** base64 of "NTLMSSP\0" + type 3: the start of every AUTHENTICATE token. */
    private static final String TYPE3_PREFIX = "TlRMTVNTUAADAAAA";

    private FakeEwsServer ews;
    private SyncHarness h;
    private EwsSettings settings;
    private ListAppender<ILoggingEvent> logback;
    private final List<LogRecord> jul = new ArrayList<>();
    private Handler julHandler;
    private Level julRootLevel;

    @BeforeEach
    void setUp() throws Exception {
        ews = FakeEwsServer.builder().ntlm("CORP", "svc", PASSWORD).build().start();
        h = new SyncHarness();
        settings = EwsSettings.ntlm(ews.url(), "CORP", "svc", PASSWORD);
        LoggerContext ctx = (LoggerContext) LoggerFactory.getILoggerFactory();
        logback = new ListAppender<>();
        logback.setContext(ctx);
        logback.start();
        ctx.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).addAppender(logback);
        Logger root = Logger.getLogger("");
        julRootLevel = root.getLevel();
        root.setLevel(Level.ALL);
        julHandler = new Handler() {
            @Override
            public void publish(LogRecord r) {
                synchronized (jul) {
                    jul.add(r);
                }
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        julHandler.setLevel(Level.ALL);
        root.addHandler(julHandler);
    }

    @AfterEach
    void tearDown() {
        ((LoggerContext) LoggerFactory.getILoggerFactory()).getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)
                .detachAppender(logback);
        Logger root = Logger.getLogger("");
        root.removeHandler(julHandler);
        root.setLevel(julRootLevel);
        h.close();
        ews.close();
    }

    private DestinationSyncService service() {
        DestinationWriterFactory f = new DestinationWriterFactory() {
            @Override
            public String type() {
                return "ews";
            }

            @Override
            public DestinationWriter create(DestinationContext context) {
                return new EwsDestinationWriterFactory(n -> settings).create(context);
            }
        };
        return h.service(f, SyncHarness.config("ews"));
    }

    private String itemOf(CalendarEvent e) {
        String key = SyncKey.identityOf(e);
        return ews.itemIds(ews.calendarFolderId()).stream()
                .filter(id -> key.equals(ews.extendedProperty(id, SET, "ChronorouteKey", "String")))
                .findFirst().orElseThrow();
    }

    private void assertNoSecretsLogged() {
        List<String> lines = new ArrayList<>();
        for (ILoggingEvent e : logback.list) {
            lines.add(e.getFormattedMessage());
            if (e.getThrowableProxy() != null) {
                lines.add(e.getThrowableProxy().getMessage());
            }
        }
        synchronized (jul) {
            for (LogRecord r : jul) {
                lines.add(String.valueOf(r.getMessage()));
                if (r.getParameters() != null) {
                    for (Object p : r.getParameters()) {
                        lines.add(String.valueOf(p));
                    }
                }
            }
        }
        assertThat(lines).isNotEmpty();
        assertThat(lines).noneMatch(l -> l != null && (l.contains(PASSWORD) || l.contains(TYPE3_PREFIX)
                || l.contains("NTLM TlRM")));
    }

    @Test
    void ntlmSyncCreatesUpdatesAndThenWritesNothing() {
        CalendarEvent a = event("n-a", "Standup", "2026-12-01T09:00", "Europe/Berlin", 30);
        CalendarEvent b = event("n-b", "Lunch", "2026-12-01T12:00", "America/New_York", 60);
        h.put(a, b);
        DestinationSyncService svc = service();
        SyncResult first = svc.runOnce(SyncHarness.NAME);
        assertThat(first.outcome()).as(first.message()).isEqualTo(SyncResult.Outcome.OK);
        assertThat(first.inserted()).isEqualTo(2);
        assertThat(ews.ntlmHandshakes()).isPositive();
        assertThat(ews.ntlmFailures()).isZero();
        // the connection stays authenticated: far fewer handshakes than SOAP calls
        long ok = ews.journal().entries().stream().filter(e -> e.status() == 200).count();
        assertThat(ews.ntlmHandshakes()).isLessThan(ok);
        h.put(a.toBuilder().title("Standup!").build());
        SyncResult second = svc.runOnce(SyncHarness.NAME);
        assertThat(second.outcome()).as(second.message()).isEqualTo(SyncResult.Outcome.OK);
        assertThat(second.updated()).isEqualTo(1);
        assertThat(ews.field(itemOf(a), "Subject")).isEqualTo("Standup!");
        long writes = ews.writeCalls();
        SyncResult third = svc.runOnce(SyncHarness.NAME);
        assertThat(third.outcome()).as(third.message()).isEqualTo(SyncResult.Outcome.OK);
        assertThat(third.writeCalls()).isZero();
        assertThat(ews.writeCalls()).isEqualTo(writes);
        assertNoSecretsLogged();
    }

    @Test
    void wrongPasswordIsAnAuthErrorAndStopsTheRun() {
        settings = EwsSettings.ntlm(ews.url(), "CORP", "svc", "wrong-" + PASSWORD);
        h.put(event("n-c", "Call", "2026-12-02T09:00", "Europe/Berlin", 30));
        DestinationSyncService svc = service();
        SyncResult r = svc.runOnce(SyncHarness.NAME);
        assertThat(r.outcome()).as(r.message()).isEqualTo(SyncResult.Outcome.AUTH_REQUIRED);
        assertThat(r.writes()).isZero();
        assertThat(ews.writeCalls()).isZero();
        // one refused AUTHENTICATE per call, no retry loop with the same credentials
        assertThat(ews.ntlmFailures()).isEqualTo(1);
        DestinationStatus status = svc.status(SyncHarness.NAME);
        assertThat(status.lastError()).contains("HTTP401");
        assertThat(status.lastResult().outcome()).isEqualTo(SyncResult.Outcome.AUTH_REQUIRED);
        assertNoSecretsLogged();
    }

    @Test
    void settingsDefaultsAndToStringHideThePassword() {
        assertThat(EwsSettings.of("http://x/EWS", "u", "p").auth()).isEqualTo(EwsSettings.Auth.BASIC);
        assertThat(new EwsSettings("http://x/EWS", null, null, "tok", null, null, null, null, null, null, null)
                .auth()).isEqualTo(EwsSettings.Auth.BEARER);
        assertThat(settings.toString()).doesNotContain(PASSWORD).contains("auth=NTLM").contains("domain=CORP");
    }
}
