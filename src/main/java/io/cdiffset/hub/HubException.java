package io.cdiffset.hub;

import io.cdiffset.engine.InputException;

/**
 * A pull or a cache look-up that cannot go on for a reason the user can fix (no token, no such repo or file, not in
 * the cache while offline); the message is one line that says what to do.
 */
public final class HubException extends InputException {
    public HubException(String message) {
        super(message);
    }
}
