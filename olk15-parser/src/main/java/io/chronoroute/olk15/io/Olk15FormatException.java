package io.chronoroute.olk15.io;

import java.io.IOException;

/**
 * The bytes are not a valid {@code .olk15Event} (or part of it could not be read). Always carries the absolute
 * byte offset in the file where the problem was detected ({@code -1} when no offset applies, e.g. a file too large
 * to read). Extends {@link IOException} so a {@code parse(Path)} caller handles I/O and format errors in one place,
 * while still being able to tell them apart.
 */
public class Olk15FormatException extends IOException {

    private final long offset;

    public Olk15FormatException(String message, long offset) {
        super(message + (offset >= 0 ? " (at offset 0x" + Long.toHexString(offset) + ")" : ""));
        this.offset = offset;
    }

    /** Absolute byte offset in the file, or -1. */
    public long offset() {
        return offset;
    }
}
