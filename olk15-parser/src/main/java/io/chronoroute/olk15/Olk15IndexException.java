package io.chronoroute.olk15;

import java.io.IOException;

/** The persisted scan index is unreadable (bad header or line); carries the 1-based line number. */
public class Olk15IndexException extends IOException {

    private final int line;

    public Olk15IndexException(String message, int line) {
        super(message + " (line " + line + ")");
        this.line = line;
    }

    public int line() {
        return line;
    }
}
