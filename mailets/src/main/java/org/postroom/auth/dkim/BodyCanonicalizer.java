package org.postroom.auth.dkim;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * DKIM body canonicalization (RFC 6376 section 3.4.3 "simple" and 3.4.4 "relaxed") as a byte-at-a-time state
 * machine: the body goes in in chunks of any size, the canonical body comes out into a {@link Sink} (usually a
 * SHA-256 digest), in one pass, in time and memory linear in the body and independent of how it was chunked.
 * Trailing empty lines are not emitted but counted, and written out only when a line with content follows, so
 * megabytes of empty lines cost one counter. A bare LF ends a line like CRLF; a CR not followed by LF is content.
 * The {@code l=} tag is applied by the sink: {@link #canonicalLength()} is the length of the whole canonical body.
 */
public final class BodyCanonicalizer {
    /** Where the canonical body goes. */
    @FunctionalInterface
    public interface Sink {
        void write(byte[] bytes, int offset, int length);
    }

    private static final int BUFFER = 8192;

    private final boolean relaxed;
    private final Sink sink;
    private final byte[] buffer = new byte[BUFFER];
    private int buffered;
    private long length;
    /** Empty lines seen and not yet written: written only if content follows them. */
    private long emptyLines;
    private boolean lineHasContent;
    private boolean pendingCr;
    /** Relaxed: a run of WSP seen on this line, written as one SP if content follows it on the line. */
    private boolean pendingSpace;
    private boolean finished;

    public BodyCanonicalizer(boolean relaxed, Sink sink) {
        this.relaxed = relaxed;
        this.sink = sink;
    }

    public void update(byte[] bytes, int offset, int count) {
        int end = offset + count;
        for (int i = offset; i < end; i++) {
            byte b = bytes[i];
            if (pendingCr) {
                pendingCr = false;
                if (b == '\n') {
                    endOfLine();
                    continue;
                }
                content((byte) '\r');
            }
            if (b == '\r') {
                pendingCr = true;
            } else if (b == '\n') {
                endOfLine();
            } else if (relaxed && (b == ' ' || b == '\t')) {
                pendingSpace = true;
            } else {
                content(b);
            }
        }
    }

    public void update(byte[] bytes) {
        update(bytes, 0, bytes.length);
    }

    /** Ends the body: a CR left over is content, a last line without CRLF gets one, an empty simple body is CRLF. */
    public void finish() {
        if (finished) {
            return;
        }
        finished = true;
        if (pendingCr) {
            pendingCr = false;
            content((byte) '\r');
        }
        if (lineHasContent) {
            emit((byte) '\r');
            emit((byte) '\n');
        } else if (!relaxed && length == 0) {
            emit((byte) '\r');
            emit((byte) '\n');
        }
        flush();
    }

    /** The length of the canonical body written so far (all of it after {@link #finish()}). */
    public long canonicalLength() {
        return length;
    }

    private void content(byte b) {
        if (!lineHasContent) {
            for (; emptyLines > 0; emptyLines--) {
                emit((byte) '\r');
                emit((byte) '\n');
            }
            lineHasContent = true;
        }
        if (pendingSpace) {
            pendingSpace = false;
            emit((byte) ' ');
        }
        emit(b);
    }

    private void endOfLine() {
        pendingSpace = false;
        if (lineHasContent) {
            emit((byte) '\r');
            emit((byte) '\n');
            lineHasContent = false;
        } else {
            emptyLines++;
        }
    }

    private void emit(byte b) {
        if (buffered == BUFFER) {
            flush();
        }
        buffer[buffered++] = b;
        length++;
    }

    private void flush() {
        if (buffered > 0) {
            sink.write(buffer, 0, buffered);
            buffered = 0;
        }
    }

    /** A body hash: the canonical body, cut at {@code l=} when {@code limit >= 0}, into SHA-256. */
    public static final class BodyHash {
        private final MessageDigest digest;
        private final BodyCanonicalizer canonicalizer;
        private final long limit;
        private long hashed;

        public BodyHash(boolean relaxed, long limit) {
            try {
                this.digest = MessageDigest.getInstance("SHA-256");
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
            this.limit = limit < 0 ? Long.MAX_VALUE : limit;
            this.canonicalizer = new BodyCanonicalizer(relaxed, (bytes, offset, count) -> {
                long room = this.limit - hashed;
                int taken = (int) Math.min(room, count);
                if (taken > 0) {
                    digest.update(bytes, offset, taken);
                    hashed += taken;
                }
            });
        }

        public void update(byte[] bytes, int offset, int count) {
            canonicalizer.update(bytes, offset, count);
        }

        /** Finishes the body; the SHA-256 of its canonical form (its first {@code l=} bytes). */
        public byte[] digest() {
            canonicalizer.finish();
            return digest.digest();
        }

        /** The length of the whole canonical body, valid after {@link #digest()}. */
        public long canonicalLength() {
            return canonicalizer.canonicalLength();
        }

        /** The relaxed body hash of a whole body in one piece. */
        public static byte[] of(boolean relaxed, byte[] body) {
            BodyHash hash = new BodyHash(relaxed, -1);
            hash.update(body, 0, body.length);
            return hash.digest();
        }
    }
}
