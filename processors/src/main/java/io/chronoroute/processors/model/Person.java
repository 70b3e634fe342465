package io.chronoroute.processors.model;

/** An organizer: e-mail address and display name, either may be unknown (null). */
public record Person(String email, String name) {
}
