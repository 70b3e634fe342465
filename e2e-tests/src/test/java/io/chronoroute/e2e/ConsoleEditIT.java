package io.chronoroute.e2e;

import io.chronoroute.testsupport.browser.Browser;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.TestWatcher;
import org.openqa.selenium.By;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.ExpectedConditions;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Edits made in the web console reach the calendar they come from and come back to the feed: master and agent as
 * processes, the agent's folder source writable (allowEventUpdates), a real headless Chromium. Edit in the browser →
 * event_update queued → the agent rewrites its .ics file → its next heartbeat → {@code /calendar.ics}. Then a
 * delete (the master sends the UID alone) and a create through the API with the configured default target.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@ExtendWith(ConsoleEditIT.ShowLogsOnFailure.class)
class ConsoleEditIT {

    static final String UID = "console-edit-0001@chronoroute.invalid";
    static final Duration WAIT = Duration.ofSeconds(60);
    static Apps apps;
    static Browser browser;

    static final class ShowLogsOnFailure implements TestWatcher {
        @Override
        public void testFailed(ExtensionContext context, Throwable cause) {
            if (apps != null) {
                System.err.println(apps.logs());
            }
            if (browser != null) {
                browser.screenshot("e2e-failed-" + context.getRequiredTestMethod().getName());
            }
        }
    }

    @BeforeAll
    static void start() throws Exception {
        apps = new Apps(Files.createTempDirectory("chronoroute-console-e2e"), true);
        Files.writeString(apps.exports.resolve("planning.ics"), AgentMasterEndToEndIT.ics(
                AgentMasterEndToEndIT.single(UID, "Planning")));
        // a browser test starts after two JVMs: on a busy 2-core machine they may need more than the usual 2 min
        apps.startBoth(java.util.List.of("--chronoroute.events.default-target=e2e-agent/e2e-ics"), Duration.ofMinutes(5));
        await().atMost(WAIT).until(() -> apps.feed().contains("SUMMARY:Planning"));
        browser = Browser.start(1280, 900, Path.of("target", "console-screenshots"));
    }

    @AfterAll
    static void stop() {
        if (browser != null) {
            browser.close();
        }
        if (apps != null) {
            apps.close();
        }
    }

    WebElement visible(By by) {
        return browser.waiting(WAIT).until(ExpectedConditions.visibilityOfElementLocated(by));
    }

    WebElement event(String text) {
        return browser.waiting(WAIT).until(d -> d.findElements(By.cssSelector(".fc-daygrid-event")).stream()
                .filter(e -> e.getText().contains(text)).findFirst().orElse(null));
    }

    @Test
    @Order(1)
    void anEventEditedInTheConsoleReachesTheFeedThroughTheAgentsFile() throws Exception {
        WebDriver d = browser.driver();
        d.get(apps.masterUrl + "/#calendar/2026-12-01");
        visible(By.id("login-user")).sendKeys("admin");
        d.findElement(By.id("login-password")).sendKeys(Apps.CONSOLE);
        d.findElement(By.id("login-submit")).click();
        event("Planning").click();
        visible(By.id("edit-event")).click();
        WebElement title = visible(By.id("ef-title"));
        title.clear();
        title.sendKeys("Planning (edited in the console)");
        d.findElement(By.id("ef-save")).click();
        assertThat(visible(By.cssSelector("#event-message.ok")).getText()).contains("e2e-agent/e2e-ics");
        browser.screenshot("e2e-edit-sent");

        // the consolidated calendar has the edit at once; the agent writes it into its file at its next call
        await().atMost(WAIT).until(() -> apps.feed().contains("SUMMARY:Planning (edited in the console)"));
        await().atMost(WAIT).until(() -> filesContaining("SUMMARY:Planning (edited in the console)") == 1);
        assertThat(Apps.vevents(apps.feed())).containsEntry(UID, 1);
        d.findElement(By.cssSelector("#event-dialog [data-close]")).click();
        event("Planning (edited in the console)");
        browser.screenshot("e2e-edit-arrived");
    }

    @Test
    @Order(2)
    void aDeleteInTheConsoleRemovesTheEventFromTheFolderAndTheFeed() {
        WebDriver d = browser.driver();
        event("Planning (edited in the console)").click();
        visible(By.id("delete-event")).click();
        browser.waiting(WAIT).until(ExpectedConditions.alertIsPresent()).accept();
        // the message of the earlier edit was cleared when the dialog opened again: wait for the delete's own text
        assertThat(browser.waiting(WAIT).until(ExpectedConditions.textToBePresentInElementLocated(
                By.cssSelector("#event-message.ok"), "delete sent to e2e-agent/e2e-ics"))).isTrue();
        await().atMost(WAIT).until(() -> !apps.feed().contains(UID));
        assertThat(apps.agent().logTail(200)).doesNotContain("start missing");
        browser.screenshot("e2e-deleted");
    }

    @Test
    @Order(3)
    void aCreateWithoutTargetGoesToTheConfiguredDefault() {
        HttpResponse<String> r = apps.post("/sync/events", "Bearer " + Apps.ADMIN, """
                {"title":"Created through the API","start":{"date_time":"2026-12-02T10:00:00+01:00","time_zone":"Europe/Berlin"},
                 "end":{"date_time":"2026-12-02T11:00:00+01:00","time_zone":"Europe/Berlin"}}""");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
        await().atMost(WAIT).until(() -> apps.feed().contains("SUMMARY:Created through the API"));
    }

    private long filesContaining(String text) throws java.io.IOException {
        try (var files = Files.list(apps.exports)) {
            return files.filter(p -> {
                try {
                    return Files.readString(p).contains(text);
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }).count();
        }
    }
}
