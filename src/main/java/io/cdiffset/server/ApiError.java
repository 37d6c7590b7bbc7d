package io.cdiffset.server;

/** An HTTP error answer: a status and a one-line message (sent as {@code {"error": message}}), and for 429 a Retry-After. */
final class ApiError extends RuntimeException {
    final int status;
    final long retryAfterSeconds;

    ApiError(int status, String message) {
        this(status, message, 0);
    }

    ApiError(int status, String message, long retryAfterSeconds) {
        super(message, null, false, false);
        this.status = status;
        this.retryAfterSeconds = retryAfterSeconds;
    }
}
