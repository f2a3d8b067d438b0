package org.postroom.bench;

import java.nio.charset.StandardCharsets;

/** Test messages of a given size: RFC 5322 headers, then 76-character text lines, already dot-terminated. */
final class Messages {
    private static final String LINE = "The quick brown fox jumps over the lazy dog, benchmarking Postroom again. ";

    private Messages() {
    }

    static byte[] message(String runId, int index, String from, String to, int size) {
        StringBuilder text = new StringBuilder(size + 200);
        text.append("From: <").append(from).append(">\r\n")
            .append("To: <").append(to).append(">\r\n")
            .append("Subject: bench ").append(runId).append(" #").append(index).append("\r\n")
            .append("Message-ID: <bench.").append(runId).append('.').append(index).append("@bench.client.test>\r\n")
            .append("Date: Thu, 1 Jan 2026 00:00:00 +0000\r\n")
            .append("MIME-Version: 1.0\r\n")
            .append("Content-Type: text/plain; charset=us-ascii\r\n")
            .append("\r\n");
        // Lines never start with '.', so no dot-stuffing is needed.
        int body = size - text.length();
        while (body > 0) {
            int take = Math.min(LINE.length(), Math.max(1, body - 2));
            text.append(LINE, 0, take).append("\r\n");
            body -= take + 2;
        }
        text.append(".\r\n");
        return text.toString().getBytes(StandardCharsets.US_ASCII);
    }
}
