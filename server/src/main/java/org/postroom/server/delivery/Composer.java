package org.postroom.server.delivery;

import java.io.IOException;

/**
 * Makes the copy of a queued message for one recipient: its envelope sender and content. Single messages go as they
 * were queued; list posts get per-member header fields over the post stored once ({@code kind} names the composer).
 */
public interface Composer {
    /** The copy: envelope sender ({@code ""} for the null sender), size in bytes, and how to write it. */
    record Copy(String sender, long size, SmtpClient.Content content) {
        public byte[] bytes() throws IOException {
            java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream((int) Math.min(size, 64 * 1024 * 1024));
            content.writeTo(out);
            return out.toByteArray();
        }
    }

    /** Whether copies of one message to several recipients of one domain can go in one transaction. */
    boolean shared();

    Copy compose(DeliveryStore.Message message, String recipient) throws IOException;

    /** Forgets what it kept for a message that is finished. */
    default void forget(String messageId) {
    }
}
