package org.postroom.cli;

/** A failure to report as one {@code ERROR: ...} line with its exit code; nothing has been changed. */
final class CliException extends RuntimeException {
    static final int OK = 0;
    static final int FAILURE = 1;
    static final int USAGE = 2;
    static final int NOT_FOUND = 3;

    private final int exitCode;

    CliException(int exitCode, String message) {
        super(message);
        this.exitCode = exitCode;
    }

    CliException(int exitCode, String message, Throwable cause) {
        super(message, cause);
        this.exitCode = exitCode;
    }

    static CliException failure(String message) {
        return new CliException(FAILURE, message);
    }

    static CliException usage(String message) {
        return new CliException(USAGE, message);
    }

    static CliException notFound(String message) {
        return new CliException(NOT_FOUND, message);
    }

    int exitCode() {
        return exitCode;
    }
}
