package io.cdiffset.cli;

/** Bad input from the user: reported as one line, exit code 2. */
public final class UserError extends io.cdiffset.engine.InputException {
    public UserError(String message) {
        super(message);
    }
}
