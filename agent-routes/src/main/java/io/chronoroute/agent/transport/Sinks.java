package io.chronoroute.agent.transport;

import jakarta.activation.DataHandler;
import jakarta.mail.util.ByteArrayDataSource;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.attachment.AttachmentMessage;
import org.apache.camel.support.DefaultExchange;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/** The two {@link BundleTransport.Sink}s. */
final class Sinks {

    private Sinks() {
    }

    /**
     * file-drop: {@code <outbox>/<agent>-<seq>.crb}, written as a hidden temp file, flushed, then renamed atomically,
     * so a reader (the master's poller, someone copying the stick) never sees half a bundle.
     */
    static final class FileDrop implements BundleTransport.Sink {
        private final Path outbox;

        FileDrop(Path outbox) {
            this.outbox = outbox.toAbsolutePath().normalize();
        }

        @Override
        public void write(String agentId, long seq, String fileName, byte[] bundle) throws IOException {
            Files.createDirectories(outbox);
            Path tmp = outbox.resolve("." + fileName + ".tmp");
            Files.write(tmp, bundle);
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                ch.force(true);
            }
            try {
                Files.move(tmp, outbox.resolve(fileName), StandardCopyOption.ATOMIC_MOVE,
                        StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, outbox.resolve(fileName), StandardCopyOption.REPLACE_EXISTING);
            }
        }

        @Override
        public String describe() {
            return "folder " + outbox;
        }
    }

    /** email: one mail per bundle, the bundle attached, sent with camel-mail (SMTP). */
    static final class Mail implements BundleTransport.Sink {
        private final CamelContext camel;
        private final String smtpUri;
        private final String from;
        private final String to;
        private volatile ProducerTemplate producer;

        Mail(CamelContext camel, String smtpUri, String from, String to) {
            this.camel = camel;
            this.smtpUri = smtpUri;
            this.from = from;
            this.to = to;
        }

        @Override
        public void write(String agentId, long seq, String fileName, byte[] bundle) throws IOException {
            Exchange ex = new DefaultExchange(camel);
            ex.getMessage().setHeader("To", to);
            ex.getMessage().setHeader("From", from);
            ex.getMessage().setHeader("Subject", "Chronoroute heartbeat " + agentId + " #" + seq);
            ex.getMessage().setHeader("Content-Type", "text/plain; charset=UTF-8");
            ex.getMessage().setBody("Chronoroute heartbeat bundle of agent " + agentId + ", sequence " + seq
                    + " (attached).\n");
            ex.getMessage(AttachmentMessage.class).addAttachment(fileName,
                    new DataHandler(new ByteArrayDataSource(bundle, "application/octet-stream")));
            Exchange r = producer().send(smtpUri, ex);
            if (r.getException() != null) {
                throw new IOException("cannot send the bundle by mail: " + r.getException().getMessage(),
                        r.getException());
            }
        }

        private ProducerTemplate producer() {
            if (producer == null) {
                synchronized (this) {
                    if (producer == null) {
                        producer = camel.createProducerTemplate();
                    }
                }
            }
            return producer;
        }

        @Override
        public String describe() {
            return "mail to " + to;
        }
    }
}
