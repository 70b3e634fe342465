package io.chronoroute.olk15.model;

import java.time.Instant;
import java.util.List;
import java.util.UUID;

/** A decoded property value; {@link Opaque} when the type is unknown or the bytes do not fit the type. */
public sealed interface PropertyValue {

    /** Human-readable form for dumps. */
    String display();

    record I16(short value) implements PropertyValue {
        public String display() {
            return Short.toString(value);
        }
    }

    record I32(int value) implements PropertyValue {
        public String display() {
            return Integer.toString(value);
        }
    }

    /** A type-03 value stored in 8 bytes (seen in real files per pyolk); {@code value} is the full i64. */
    record WideI32(long value) implements PropertyValue {
        public String display() {
            return value + " (8-byte i32)";
        }

        /** The value as an int, or null when it does not fit. */
        public Integer asInt() {
            return value == (int) value ? (int) value : null;
        }
    }

    record I64(long value) implements PropertyValue {
        public String display() {
            return Long.toString(value);
        }
    }

    record Bool(boolean value) implements PropertyValue {
        public String display() {
            return Boolean.toString(value);
        }
    }

    record Text(String value) implements PropertyValue {
        public String display() {
            return '"' + value + '"';
        }
    }

    record Guid(UUID value) implements PropertyValue {
        public String display() {
            return value.toString();
        }
    }

    /** Type 4D: seconds since 2001-01-01T00:00Z. {@code instant} is null when the double is not finite/in range. */
    record AbsoluteTime(double seconds, Instant instant) implements PropertyValue {
        public String display() {
            return seconds + (instant == null ? " (out of range)" : " = " + instant);
        }
    }

    /** A sub-record that is itself a property collection. */
    record SubRecord(List<RawProperty> children) implements PropertyValue {
        public SubRecord {
            children = List.copyOf(children);
        }

        public String display() {
            return "sub-record, " + children.size() + " entries";
        }
    }

    /** Not decoded: unknown type, unexpected size, or a sub-record that is not a collection (list, user record). */
    record Opaque(String reason) implements PropertyValue {
        public String display() {
            return "(raw: " + reason + ")";
        }
    }
}
