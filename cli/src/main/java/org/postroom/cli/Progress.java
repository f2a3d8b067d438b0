package org.postroom.cli;

import java.io.PrintStream;

/**
 * A progress bar on standard error, drawn only when the command runs on a terminal: {@code \r}-redrawn, at most
 * ten times a second, erased when done. Off a terminal it prints nothing, so logs and pipes stay clean.
 */
final class Progress {
    private static final int WIDTH = 30;

    private final PrintStream err;
    private final boolean enabled;
    private long lastDrawn;
    private int lastLength;
    private Thread ticker;

    private Progress(PrintStream err, boolean enabled) {
        this.err = err;
        this.enabled = enabled;
    }

    static Progress of(Session session) {
        return new Progress(session.err, session.environment.prompt().isPresent());
    }

    synchronized void bar(String what, long done, long total) {
        if (!enabled) {
            return;
        }
        long now = System.nanoTime();
        if (now - lastDrawn < 100_000_000L && done < total) {
            return;
        }
        lastDrawn = now;
        int percent = total <= 0 ? 100 : (int) Math.min(100, done * 100 / total);
        int filled = percent * WIDTH / 100;
        draw(what + " [" + "#".repeat(filled) + " ".repeat(WIDTH - filled) + "] " + percent + "%");
    }

    /** A line that counts the seconds while the server works. */
    synchronized void waiting(String what) {
        if (!enabled) {
            return;
        }
        long started = System.nanoTime();
        draw(what + " ... 0s");
        ticker = new Thread(() -> {
            try {
                while (!Thread.currentThread().isInterrupted()) {
                    Thread.sleep(1000);
                    synchronized (this) {
                        draw(what + " ... " + (System.nanoTime() - started) / 1_000_000_000L + "s");
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "postroom-progress");
        ticker.setDaemon(true);
        ticker.start();
    }

    void done() {
        Thread running;
        synchronized (this) {
            running = ticker;
            ticker = null;
        }
        if (running != null) {
            running.interrupt();
            try {
                running.join(2000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        synchronized (this) {
            if (enabled && lastLength > 0) {
                err.print("\r" + " ".repeat(lastLength) + "\r");
                err.flush();
                lastLength = 0;
            }
        }
    }

    private void draw(String line) {
        err.print("\r" + line + " ".repeat(Math.max(0, lastLength - line.length())));
        err.flush();
        lastLength = line.length();
    }
}
