package io.cdiffset.cli;

/** Bad input from the user: reported as one line, exit code 2. */
public final class UserError extends RuntimeException {
    public UserError(String message) {
        super(message);
    }
}
