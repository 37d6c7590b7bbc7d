package io.cdiffset.io;

/** A weights file or folder that cannot be used; the message is one line naming the file and the problem. */
public class WeightsException extends io.cdiffset.engine.InputException {
    public WeightsException(String message) {
        super(message);
    }
}
