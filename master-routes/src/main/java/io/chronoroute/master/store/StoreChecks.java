package io.chronoroute.master.store;

import java.util.Set;

/**
 * Validation shared by the {@link MasterStore} implementations. Every write is checked completely before anything
 * is written, so an invalid {@link ChangeSet} is rejected with an {@link IllegalArgumentException} naming the
 * offending element and leaves the store untouched.
 */
public final class StoreChecks {

    /** Separator inside composite keys; forbidden in ids, sync keys and namespaces. */
    public static final char SEP = '\u001f';

    private static final Set<String> UPDATE_STATUSES =
            Set.of(AgentUpdate.PENDING, AgentUpdate.PROCESSED, AgentUpdate.REJECTED);

    private StoreChecks() {
    }

    public static void checkChangeSet(ChangeSet cs) {
        if (cs == null) {
            throw new IllegalArgumentException("change set is null");
        }
        if (cs.putAgent != null) {
            checkAgent(cs.putAgent);
        }
        int i = 0;
        for (Observation o : cs.putObservations) {
            checkObservation(o, "putObservations[" + i++ + "]");
        }
        i = 0;
        for (String[] pair : cs.removeObservations) {
            checkPair(pair, "removeObservations[" + i++ + "]");
        }
        i = 0;
        for (ConsolidatedEvent c : cs.putConsolidated) {
            String where = "putConsolidated[" + i++ + "]";
            if (c == null) {
                throw new IllegalArgumentException(where + " is null");
            }
            requireText(c.identity(), where + ".identity");
        }
        i = 0;
        for (Conflict c : cs.putConflicts) {
            checkConflict(c, "putConflicts[" + i++ + "]");
        }
        i = 0;
        for (AgentUpdate u : cs.putUpdates) {
            checkUpdate(u, "putUpdates[" + i++ + "]");
        }
        i = 0;
        for (Activity a : cs.activities) {
            String where = "activities[" + i++ + "]";
            if (a == null || a.at() == null) {
                throw new IllegalArgumentException(where + (a == null ? " is null" : ".at is null"));
            }
        }
        i = 0;
        for (String[] pair : cs.addKeys) {
            checkPair(pair, "addKeys[" + i++ + "]");
        }
    }

    public static void checkAgent(AgentRecord a) {
        if (a == null) {
            throw new IllegalArgumentException("agent is null");
        }
        requireId(a.id(), "agent.id");
    }

    public static void checkObservation(Observation o, String where) {
        if (o == null) {
            throw new IllegalArgumentException(where + " is null");
        }
        requireId(o.agentId(), where + ".agentId");
        requireId(o.syncKey(), where + ".syncKey");
        requireText(o.identity(), where + ".identity");
        requireText(o.contentHash(), where + ".contentHash");
    }

    public static void checkConflict(Conflict c, String where) {
        if (c == null) {
            throw new IllegalArgumentException(where + " is null");
        }
        requireId(c.id(), where + ".id");
        if (c.createdAt() == null) {
            throw new IllegalArgumentException(where + ".createdAt is null");
        }
    }

    public static void checkUpdate(AgentUpdate u, String where) {
        if (u == null) {
            throw new IllegalArgumentException(where + " is null");
        }
        requireId(u.id(), where + ".id");
        requireId(u.agentId(), where + ".agentId");
        if (!UPDATE_STATUSES.contains(u.status())) {
            throw new IllegalArgumentException(where + ".status must be one of " + UPDATE_STATUSES);
        }
        if (u.createdAt() == null) {
            throw new IllegalArgumentException(where + ".createdAt is null");
        }
    }

    public static void checkPair(String[] pair, String where) {
        if (pair == null || pair.length != 2) {
            throw new IllegalArgumentException(where + " must hold exactly two strings");
        }
        requireId(pair[0], where + "[0]");
        requireText(pair[1], where + "[1]");
    }

    /** Non-blank and free of control characters (they separate composite keys). */
    public static String requireId(String value, String what) {
        requireText(value, what);
        for (int i = 0; i < value.length(); i++) {
            if (Character.isISOControl(value.charAt(i))) {
                throw new IllegalArgumentException(what + " contains a control character");
            }
        }
        return value;
    }

    public static String requireText(String value, String what) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException(what + " is null or blank");
        }
        return value;
    }
}
