package org.postroom.bench;

import java.io.IOException;
import java.nio.file.Path;

/** One side of {@code bench/compare}: a mail system on loopback ports that the same loads are run against. */
interface MailSystem {
    String name();

    void start() throws IOException, InterruptedException;

    void createUser(String address, String password) throws IOException, InterruptedException;

    /** Plain SMTP for mail from outside (what port 25 is), no AUTH. */
    int smtpPort();

    /** Submission: STARTTLS, then AUTH PLAIN; authenticated users relay. */
    int submissionPort();

    int imapsPort();

    int pop3sPort();

    /** Resident memory of every process of the system now, in MiB. */
    double rssMib();

    /** The highest {@link #rssMib()} sampled (every 250 ms) since start or the last {@link #resetPeak()}. */
    double peakRssMib();

    void resetPeak();

    /** CPU seconds (user + system) the system's processes used since start. */
    double cpuSeconds();

    /** Versions and settings worth printing with the figures. */
    String describe() throws IOException;

    String logTail();

    Path home();

    void stop() throws InterruptedException;

    void deleteHome() throws IOException;
}
