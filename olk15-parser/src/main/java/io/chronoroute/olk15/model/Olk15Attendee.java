package io.chronoroute.olk15.model;

/**
 * An attendee from the 0x0B00000D list (pyolk only). {@code role} is null when the code is unknown or absent;
 * {@code roleCode} keeps the stored value. Unknown name/address stay null.
 */
public record Olk15Attendee(Role role, Integer roleCode, String name, String address) {

    /** pyolk's recipient type: 0 required, 1 optional, 2 resource. */
    public enum Role {
        REQUIRED, OPTIONAL, RESOURCE;

        public static Role fromCode(Integer code) {
            if (code == null) {
                return null;
            }
            return switch (code) {
                case 0 -> REQUIRED;
                case 1 -> OPTIONAL;
                case 2 -> RESOURCE;
                default -> null;
            };
        }

        public int code() {
            return ordinal();
        }
    }
}
