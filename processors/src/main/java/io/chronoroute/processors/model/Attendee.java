package io.chronoroute.processors.model;

/**
 * An attendee as RFC 5545 ATTENDEE: address, display name, ROLE (REQ-PARTICIPANT, OPT-PARTICIPANT, CHAIR,
 * NON-PARTICIPANT) and PARTSTAT (NEEDS-ACTION, ACCEPTED, DECLINED, TENTATIVE, DELEGATED). Unknown = null.
 */
public record Attendee(String email, String name, String role, String status) {
}
