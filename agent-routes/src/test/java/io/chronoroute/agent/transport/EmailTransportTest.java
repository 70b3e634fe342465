package io.chronoroute.agent.transport;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.ServerSetup;
import com.icegreen.greenmail.util.ServerSetupTest;
import io.chronoroute.agent.ChronorouteAgentApplication;
import io.chronoroute.agent.Ics;
import io.chronoroute.agent.source.IcsFolderSource;
import io.chronoroute.processors.wire.WireJson;
import jakarta.activation.DataHandler;
import jakarta.mail.Message;
import jakarta.mail.Multipart;
import jakarta.mail.Session;
import jakarta.mail.Transport;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeBodyPart;
import jakarta.mail.internet.MimeMessage;
import jakarta.mail.internet.MimeMultipart;
import jakarta.mail.util.ByteArrayDataSource;
import org.apache.camel.test.spring.junit5.CamelSpringBootTest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.Properties;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The whole agent with {@code chronoroute.agent.transport=email} against GreenMail (SMTP + IMAP): heartbeat bundles go
 * out as mail attachments, the master's answers (played by {@link BundleMaster}, replying by SMTP) come back into the
 * agent's IMAP mailbox, the pending update lands in the ICS folder and its confirmation goes out by mail.
 */
@CamelSpringBootTest
@SpringBootTest(classes = ChronorouteAgentApplication.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class EmailTransportTest {

    static final String AGENT = "mail-agent";
    static final String SECRET = "bundle-secret-for-the-mail-agent-0123456789";
    static final Duration WAIT = Duration.ofSeconds(60);
    static final Path ROOT;
    static final Path WRITABLE;
    static final Path SOURCES;
    static final GreenMail MAIL;
    static final BundleMaster MASTER = new BundleMaster(AGENT, SECRET.getBytes(StandardCharsets.UTF_8));
    static final Set<String> HANDLED = new HashSet<>();

    static {
        try {
            ROOT = Files.createTempDirectory("chronoroute-agent-email");
            WRITABLE = Files.createDirectories(ROOT.resolve("writable"));
            SOURCES = Files.createDirectories(ROOT.resolve("sources"));
            Files.writeString(SOURCES.resolve("writable.camel.yaml"), """
                    - templatedRoute:
                        routeTemplateRef: ics-folder-source
                        routeId: agent-poll-ics-writable
                        parameters:
                          - name: sourceName
                            value: writable
                          - name: folder
                            value: "%s"
                          - name: allowEventUpdates
                            value: "true"
                          - name: pollDelay
                            value: "200"
                          - name: readLockCheckInterval
                            value: "100"
                    """.formatted(WRITABLE));
            MAIL = new GreenMail(ServerSetup.dynamicPort(ServerSetupTest.SMTP_IMAP));
            MAIL.start();
            MAIL.setUser("master@chronoroute.test", "master", "master-pw");
            MAIL.setUser("agent@chronoroute.test", "agent", "agent-pw");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @DynamicPropertySource
    static void properties(DynamicPropertyRegistry r) {
        r.add("chronoroute.data-dir", () -> ROOT.resolve("data").toString());
        r.add("chronoroute.sources-dir", SOURCES::toString);
        r.add("chronoroute.agent.id", () -> AGENT);
        r.add("chronoroute.agent.master-url", () -> "http://127.0.0.1:1");     // never reachable
        r.add("chronoroute.agent.transport", () -> "email");
        r.add("chronoroute.agent.bundle-secret", () -> SECRET);
        r.add("chronoroute.agent.bundle.poll-delay", () -> "200");
        r.add("chronoroute.agent.mail.smtp-uri", () -> "smtp://127.0.0.1:" + MAIL.getSmtp().getPort()
                + "?username=agent&password=agent-pw");
        r.add("chronoroute.agent.mail.imap-uri", () -> "imap://127.0.0.1:" + MAIL.getImap().getPort()
                + "?username=agent&password=agent-pw");
        r.add("chronoroute.agent.mail.from", () -> "agent@chronoroute.test");
        r.add("chronoroute.agent.mail.to", () -> "master@chronoroute.test");
        r.add("chronoroute.agent.heartbeat-interval", () -> "300ms");
        r.add("chronoroute.agent.heartbeat-tick", () -> "100");
        r.add("chronoroute.agent.heartbeat-initial-delay", () -> "1000");
        r.add("chronoroute.agent.time-zone", () -> "Europe/Berlin");
    }

    @AfterAll
    static void stop() {
        MAIL.stop();
    }

    /** The master's mailbox: every new heartbeat mail is answered by mail to its sender. */
    static void answerMails() throws Exception {
        for (MimeMessage m : MAIL.getReceivedMessagesForDomain("master@chronoroute.test")) {
            if (!HANDLED.add(m.getMessageID()) || !(m.getContent() instanceof Multipart mp)) {
                continue;
            }
            for (int i = 0; i < mp.getCount(); i++) {
                var part = mp.getBodyPart(i);
                if (part.getFileName() != null && part.getFileName().endsWith(".crb")) {
                    byte[] answer;
                    try (InputStream in = part.getInputStream()) {
                        answer = MASTER.handle(in.readAllBytes());
                    }
                    reply(part.getFileName().replace(".crb", ".answer.crb"), answer);
                }
            }
        }
    }

    static void reply(String name, byte[] bundle) throws Exception {
        Properties p = new Properties();
        p.put("mail.smtp.host", "127.0.0.1");
        p.put("mail.smtp.port", Integer.toString(MAIL.getSmtp().getPort()));
        MimeMessage m = new MimeMessage(Session.getInstance(p));
        m.setFrom(new InternetAddress("master@chronoroute.test"));
        m.setRecipient(Message.RecipientType.TO, new InternetAddress("agent@chronoroute.test"));
        m.setSubject("Chronoroute answer");
        MimeBodyPart text = new MimeBodyPart();
        text.setText("answer attached");
        MimeBodyPart att = new MimeBodyPart();
        att.setDataHandler(new DataHandler(new ByteArrayDataSource(bundle, "application/octet-stream")));
        att.setFileName(name);
        MimeMultipart mp = new MimeMultipart(text, att);
        m.setContent(mp);
        m.saveChanges();
        Transport.send(m);
    }

    @Test
    void eventsOutByMailUpdateBackByMailConfirmationOutByMail() throws Exception {
        Files.writeString(WRITABLE.resolve("team.ics"), Ics.calendar(Ics.vevent("u1", "Standup", "20250610T070000Z")));
        ObjectNode data = WireJson.mapper().createObjectNode();
        data.put("action", "create");
        data.put("source", "writable");
        ObjectNode e = data.putObject("event");
        e.put("uid", "m1@master");
        e.put("title", "From master");
        e.putObject("start").put("date_time", "2025-07-01T10:00:00+02:00").put("time_zone", "Europe/Berlin");
        e.putObject("end").put("date_time", "2025-07-01T11:00:00+02:00").put("time_zone", "Europe/Berlin");
        MASTER.queueUpdate("upd-1", "event_update", data);

        await().atMost(WAIT).until(() -> {
            answerMails();
            return MASTER.titles.containsKey("u1") && MASTER.confirmed.contains("upd-1")
                    && MASTER.titles.containsKey("m1@master");
        });
        assertThat(Files.readString(WRITABLE.resolve(IcsFolderSource.newFileName("m1@master"))))
                .contains("SUMMARY:From master");
        assertThat(MASTER.pending).isEmpty();
        assertThat(MASTER.seqs).isSorted();
    }
}
