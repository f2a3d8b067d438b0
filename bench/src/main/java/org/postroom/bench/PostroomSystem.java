package org.postroom.bench;

import java.io.IOException;
import java.nio.file.Path;

/** The packaged Postroom ({@link ServerProcess}) as one side of {@code bench/compare}. */
final class PostroomSystem implements MailSystem {
    private final ServerProcess server;
    private final EmptyDns dns;
    private AdminApi admin;

    /** @param relayPort the loopback sink of {@code postroom.relayhost}, or null for none */
    PostroomSystem(Path distribution, String jvmOptions, Integer relayPort) throws IOException {
        server = new ServerProcess(distribution, jvmOptions);
        dns = new EmptyDns();
        server.with("postroom.dns.servers", dns.address());
        if (relayPort != null) {
            server.with("postroom.relayhost", "[127.0.0.1]:" + relayPort).with("postroom.relayhost.starttls", "false");
        }
    }

    @Override
    public String name() {
        return "Postroom";
    }

    @Override
    public void start() throws IOException, InterruptedException {
        server.start();
        admin = new AdminApi(server.port("admin"), server.home().resolve("var/admin/jwt-private.pem"));
    }

    @Override
    public void createUser(String address, String password) throws IOException, InterruptedException {
        admin.createUser(address, password);
    }

    @Override
    public int smtpPort() {
        return server.port("smtp");
    }

    @Override
    public int submissionPort() {
        return server.port("submission");
    }

    @Override
    public int imapsPort() {
        return server.port("imaps");
    }

    @Override
    public int pop3sPort() {
        return server.port("pop3s");
    }

    @Override
    public double rssMib() {
        return server.currentRssMib();
    }

    @Override
    public double peakRssMib() {
        return server.phasePeakRssMib(false);
    }

    @Override
    public void resetPeak() {
        server.phasePeakRssMib();
    }

    @Override
    public double cpuSeconds() {
        return server.cpuSeconds();
    }

    @Override
    public String describe() throws IOException {
        return "Postroom (packaged), JVM flags: " + server.jvmFlags();
    }

    @Override
    public String logTail() {
        return server.tailOfLog(30);
    }

    @Override
    public Path home() {
        return server.home();
    }

    @Override
    public void stop() throws InterruptedException {
        server.stop();
        dns.close();
    }

    @Override
    public void deleteHome() throws IOException {
        server.deleteHome();
    }
}
