package io.chronoroute.olk15.sqlite;

/**
 * An account row from an {@code Accounts*} table. {@code accountUid} is {@code Account_MailAccountUID} (joins to
 * {@code Record_AccountUID}); name/email come from {@code Account_Name}/{@code Account_EmailAddress} when those
 * columns exist (not documented by P; null otherwise).
 */
public record OutlookAccount(String table, Long accountUid, String name, String emailAddress) {
}
