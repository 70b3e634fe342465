package io.chronoroute.olk15.format;

import io.chronoroute.olk15.model.PropertyValue;

/** Small typed accessors over decoded values. */
final class Props {

    private Props() {
    }

    /** The int of an I32 (or an 8-byte i32 that fits), else null. */
    static Integer asInt(PropertyValue v) {
        if (v instanceof PropertyValue.I32 i) {
            return i.value();
        }
        if (v instanceof PropertyValue.WideI32 w) {
            return w.asInt();
        }
        if (v instanceof PropertyValue.I16 s) {
            return (int) s.value();
        }
        return null;
    }

    static String asText(PropertyValue v) {
        return v instanceof PropertyValue.Text t ? t.value() : null;
    }

    static Boolean asBool(PropertyValue v) {
        return v instanceof PropertyValue.Bool b ? b.value() : null;
    }
}
