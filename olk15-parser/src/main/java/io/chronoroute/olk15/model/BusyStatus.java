package io.chronoroute.olk15.model;

/** Busy status, tag 0x1D000003: 0 busy, 1 free, 2 tentative, 3 OOF (pyolk; P's counts fit). */
public enum BusyStatus {
    FREE, TENTATIVE, BUSY, OOF;

    /** The status of a stored code, or null when the code is not one of the four documented values. */
    public static BusyStatus fromCode(int code) {
        return switch (code) {
            case 0 -> BUSY;
            case 1 -> FREE;
            case 2 -> TENTATIVE;
            case 3 -> OOF;
            default -> null;
        };
    }

    public int code() {
        return switch (this) {
            case BUSY -> 0;
            case FREE -> 1;
            case TENTATIVE -> 2;
            case OOF -> 3;
        };
    }
}
