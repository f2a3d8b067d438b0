package org.postroom.server.lists;

/** One SMTP reply: its code and its text (lines joined with a space). */
public record SmtpReply(int code, String text) {
    public boolean positive() {
        return code >= 200 && code < 400;
    }

    public boolean permanent() {
        return code >= 500 && code < 600;
    }

    @Override
    public String toString() {
        return code + " " + text;
    }
}
