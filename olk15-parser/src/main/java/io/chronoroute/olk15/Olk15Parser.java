package io.chronoroute.olk15;

import io.chronoroute.olk15.format.ContainerReader;
import io.chronoroute.olk15.format.EventAssembler;
import io.chronoroute.olk15.io.ByteReader;
import io.chronoroute.olk15.io.Olk15FormatException;
import io.chronoroute.olk15.model.Olk15Event;
import java.io.IOException;
import java.io.InputStream;
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
        byte[] bytes;
        try (InputStream in = Files.newInputStream(path)) {
            bytes = in.readNBytes(ByteReader.MAX_RECORD_LENGTH + 1);
        }
        if (bytes.length > ByteReader.MAX_RECORD_LENGTH) {
            throw new Olk15FormatException("file larger than MAX_RECORD_LENGTH " + ByteReader.MAX_RECORD_LENGTH,
                    ByteReader.MAX_RECORD_LENGTH);
        }
        Path fileName = path.getFileName();
        return parse(bytes, fileName == null ? path.toString() : fileName.toString());
    }

    /** Parses the bytes of a file; {@code name} only labels the result. */
    public static Olk15Event parse(byte[] bytes, String name) throws Olk15FormatException {
        List<String> problems = new ArrayList<>();
        ContainerReader.Container container = ContainerReader.read(bytes, problems);
        return EventAssembler.assemble(name, container, problems);
    }
}
