package org.postroom.dsn;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A reply of a remote SMTP server as RemoteDelivery reports it ({@code 550 5.1.1 <bob@example.net>: unknown}):
 * its basic code, its RFC 3463 enhanced code when the server gave one, and its text on one line.
 */
public record SmtpReply(int code, Optional<String> enhancedCode, String text) {
    private static final Pattern REPLY = Pattern.compile("^\\s*([2-5][0-9]{2})(?:[ -]+(([245])\\.[0-9]{1,3}\\.[0-9]{1,3}))?\\b");

    /** The reply found at the start of {@code text} (continuation lines are joined), if it starts with one. */
    public static Optional<SmtpReply> parse(String text) {
        if (text == null) {
            return Optional.empty();
        }
        String oneLine = oneLine(text);
        Matcher matcher = REPLY.matcher(oneLine);
        if (!matcher.find()) {
            return Optional.empty();
        }
        return Optional.of(new SmtpReply(Integer.parseInt(matcher.group(1)), Optional.ofNullable(matcher.group(2)), oneLine));
    }

    /** Several reply lines ({@code 550-5.1.1 a\n550 5.1.1 b}) as one line, with the repeated codes dropped. */
    public static String oneLine(String text) {
        String[] lines = text.strip().split("\\r?\\n");
        StringBuilder joined = new StringBuilder();
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i].strip();
            if (i > 0) {
                line = line.replaceFirst("^[2-5][0-9]{2}[ -](?:[245]\\.[0-9]{1,3}\\.[0-9]{1,3} )?", "");
                joined.append(' ');
            } else {
                line = line.replaceFirst("^([2-5][0-9]{2})-", "$1 ");
            }
            joined.append(line);
        }
        return joined.toString().replaceAll("[\\p{Cntrl}\\s]+", " ").strip();
    }

    public boolean isPermanent() {
        return code >= 500;
    }

    /**
     * The RFC 3463 status this reply stands for: its enhanced code when it has one whose class agrees with the
     * basic code, else one derived from the basic code.
     */
    public String status() {
        String klass = String.valueOf(code / 100);
        if (enhancedCode.isPresent() && enhancedCode.get().startsWith(klass)) {
            return enhancedCode.get();
        }
        if (enhancedCode.isPresent()) {
            return klass + enhancedCode.get().substring(1);
        }
        return switch (code) {
            case 421 -> "4.4.2";
            case 450 -> "4.2.0";
            case 451 -> "4.3.0";
            case 452 -> "4.3.1";
            case 551 -> "5.1.6";
            case 552 -> "5.2.2";
            case 553 -> "5.1.3";
            default -> klass + ".0.0";
        };
    }
}
