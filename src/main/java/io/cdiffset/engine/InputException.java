package io.cdiffset.engine;

/**
 * Bad input from the user (a file, an option, a model folder): the message is one line that says what is wrong and
 * what to do. Front ends report it as such: exit code 2 on the command line, HTTP 400 in the server, a failed scene
 * (not a failed job) on Spark. Every other exception is a failure of cdiffset or of the machine.
 */
public class InputException extends RuntimeException {
    public InputException(String message) {
        super(message);
    }

    public InputException(String message, Throwable cause) {
        super(message, cause);
    }
}
