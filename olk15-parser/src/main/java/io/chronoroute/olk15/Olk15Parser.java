package io.chronoroute.olk15;

import io.chronoroute.olk15.format.ContainerReader;
import io.chronoroute.olk15.format.EventAssembler;
import io.chronoroute.olk15.io.ByteReader;
import io.chronoroute.olk15.io.Olk15FormatException;
import io.chronoroute.olk15.model.Olk15Event;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Entry point of the {@code .olk15Event} decoder (Outlook for Mac 2016+). Validates the container (see
 * {@link ContainerReader} for the byte layout), decodes the property table into typed values and maps the known
 * tags onto {@link Olk15Event}. Any input yields an event or an {@link Olk15FormatException} with the byte offset.
 * Nothing is read from file metadata (the old seed took the start time from the mtime; we never do).
 */
public final class Olk15Parser {

    private Olk15Parser() {
    }

    /**
     * Parses a file.
     *
     * @throws java.nio.file.NoSuchFileException when the file does not exist
     * @throws Olk15FormatException when it is larger than {@link ByteReader#MAX_RECORD_LENGTH} or not a valid event
     * @throws IOException on other read errors
     */
    public static Olk15Event parse(Path path) throws IOException {
        byte[] bytes = read(path);
        Path fileName = path.getFileName();
        return parse(bytes, fileName == null ? path.toString() : fileName.toString());
    }

    /**
     * Reads the whole file with one allocation of its current size (checked against the cap first). A file that
     * changes size while we read is read as far as it goes; the length invariant then rejects it if it is torn.
     */
    private static byte[] read(Path path) throws IOException {
        try (SeekableByteChannel ch = Files.newByteChannel(path, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size > ByteReader.MAX_RECORD_LENGTH) {
                throw new Olk15FormatException("file of " + size + " bytes is larger than MAX_RECORD_LENGTH "
                        + ByteReader.MAX_RECORD_LENGTH, ByteReader.MAX_RECORD_LENGTH);
            }
            ByteBuffer buf = ByteBuffer.allocate((int) size);
            while (buf.hasRemaining() && ch.read(buf) >= 0) {
                // keep reading until full or EOF
            }
            return buf.position() == buf.capacity() ? buf.array() : Arrays.copyOf(buf.array(), buf.position());
        }
    }

    /** Parses the bytes of a file; {@code name} only labels the result. */
    public static Olk15Event parse(byte[] bytes, String name) throws Olk15FormatException {
        List<String> problems = new ArrayList<>();
        ContainerReader.Container container = ContainerReader.read(bytes, problems);
        return EventAssembler.assemble(name, container, problems);
    }
}
