package org.postroom.server;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Where the mail protocols and the admin API listen, and how many connections each mail protocol takes (in all
 * and from one address). The public listener and the metrics endpoint have their own settings; {@link
 * PostroomSettings#listeners()} lists every listener.
 */
public record ListenerSettings(String listenAddress, String adminAddress, Map<String, Integer> ports,
                               Map<String, Integer> connectionLimits) {
    private static final String PORT = "postroom.port.";

    static final Map<String, String> DEFAULTS = SettingsReader.declare(
        "postroom.listen.address", "0.0.0.0",
        "postroom.admin.address", "127.0.0.1",
        "postroom.port.smtp", "25",
        "postroom.port.submission", "587",
        "postroom.port.smtps", "465",
        "postroom.port.submission.alt", "2525",
        "postroom.port.imap", "143",
        "postroom.port.imaps", "993",
        "postroom.port.pop3", "110",
        "postroom.port.pop3s", "995",
        "postroom.port.admin", "8000",
        "postroom.smtp.connections.max", "500",
        "postroom.smtp.connections.perip", "20",
        "postroom.imap.connections.max", "1000",
        "postroom.imap.connections.perip", "50",
        "postroom.pop3.connections.max", "500",
        "postroom.pop3.connections.perip", "20");

    /** One listening socket: its setting, its name ({@code smtp}, {@code admin}, ...), address and port. */
    public record Listener(String key, String name, String address, int port) {
        static Listener of(String key, String address, int port) {
            return new Listener(key, key.substring(PORT.length()), address, port);
        }
    }

    static ListenerSettings read(SettingsReader in) {
        String listen = in.text("postroom.listen.address");
        String admin = in.text("postroom.admin.address");
        if (!PostroomSettings.isLoopback(admin)) {
            in.problem("postroom.admin.address=" + admin + " is not a loopback address: the admin API has no TLS, so it"
                + " listens on loopback only (127.0.0.1 or ::1); reach it from elsewhere through SSH or a TLS proxy");
        }
        Map<String, Integer> ports = new LinkedHashMap<>();
        Map<String, Integer> limits = new LinkedHashMap<>();
        for (String key : DEFAULTS.keySet()) {
            if (key.startsWith(PORT)) {
                ports.put(key.substring(PORT.length()), in.port(key));
            } else if (key.contains(".connections.")) {
                limits.put(key, in.whole(key, 0, Integer.MAX_VALUE, "must be a whole number"));
            }
        }
        return new ListenerSettings(listen, admin, Map.copyOf(ports), Map.copyOf(limits));
    }

    /** The port of {@code name}: {@code smtp}, {@code submission}, {@code smtps}, {@code submission.alt}, ... */
    public int port(String name) {
        Integer port = ports.get(name);
        if (port == null) {
            throw new IllegalArgumentException("no listener named " + name);
        }
        return port;
    }

    /** The mail protocols' listeners and the admin API's, in the order of the settings file. */
    List<Listener> all() {
        List<Listener> all = new ArrayList<>();
        for (String key : DEFAULTS.keySet()) {
            if (key.startsWith(PORT)) {
                String name = key.substring(PORT.length());
                all.add(Listener.of(key, name.equals("admin") ? adminAddress : listenAddress, ports.get(name)));
            }
        }
        return all;
    }
}
