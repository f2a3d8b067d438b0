package org.postroom.server.backup;

/** A backup or restore that cannot go on, with the reason in words an operator acts on. */
public class BackupException extends Exception {
    public BackupException(String message) {
        super(message);
    }

    public BackupException(String message, Throwable cause) {
        super(message, cause);
    }
}
