package org.postroom.bench;

import java.nio.charset.StandardCharsets;

/** Test messages of a given size: RFC 5322 headers, then 76-character text lines, already dot-terminated. */
final class Messages {
    /** In the Subject of one message in {@link #WORD_EVERY} (bench/compare's SEARCH SUBJECT). */
    static final String SUBJECT_WORD = "quarterly";
    /** In the body of one message in {@link #WORD_EVERY} (bench/compare's SEARCH BODY). */
    static final String BODY_WORD = "zeppelin";
    static final int WORD_EVERY = 100;
    private static final String LINE = "The quick brown fox jumps over the lazy dog, benchmarking Postroom again. ";

    private Messages() {
    }

    /** How many of the messages 0..count-1 have the search words (the same for both words). */
    static int withWord(int count, int remainder) {
        return count / WORD_EVERY + (count % WORD_EVERY > remainder ? 1 : 0);
    }

    static byte[] message(String runId, int index, String from, String to, int size) {
        StringBuilder text = new StringBuilder(size + 200);
        text.append("From: <").append(from).append(">\r\n")
            .append("To: <").append(to).append(">\r\n")
            .append("Subject: bench ").append(runId).append(" #").append(index)
            .append(index % WORD_EVERY == 7 ? " " + SUBJECT_WORD + " report" : "").append("\r\n")
            .append("Message-ID: <bench.").append(runId).append('.').append(index).append("@bench.client.test>\r\n")
            .append("Date: Thu, 1 Jan 2026 00:00:00 +0000\r\n")
            .append("MIME-Version: 1.0\r\n")
            .append("Content-Type: text/plain; charset=us-ascii\r\n")
            .append("\r\n");
        // Lines never start with '.', so no dot-stuffing is needed.
        int body = size - text.length();
        if (index % WORD_EVERY == 3) {
            String line = "A line about the " + BODY_WORD + " in the middle of the text.\r\n";
            text.append(line);
            body -= line.length();
        }
        while (body > 0) {
            int take = Math.min(LINE.length(), Math.max(1, body - 2));
            text.append(LINE, 0, take).append("\r\n");
            body -= take + 2;
        }
        text.append(".\r\n");
        return text.toString().getBytes(StandardCharsets.US_ASCII);
    }
}
