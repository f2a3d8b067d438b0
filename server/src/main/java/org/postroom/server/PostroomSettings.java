package org.postroom.server;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;

/**
 * The organization's settings: {@code conf/postroom.properties}, the one place a postmaster edits for hostname,
 * domain, ports, DNS resolvers, smarthost and TLS certificate. A JVM system property of the same name overrides
 * the file (handy for tests and one-off runs).
 *
 * <p>The values are published as system properties so that James's XML configuration in {@code conf/} reads them
 * through commons-configuration interpolation ({@code ${sys:postroom.port.smtp}}). Unknown keys are refused with
 * a message naming them, so a typo fails the start instead of being ignored.
 */
public final class PostroomSettings {
    public static final String FILE_NAME = "postroom.properties";

    /** Every key Postroom knows, with its default (an empty default means "not set"). */
    private static final Map<String, String> DEFAULTS = new LinkedHashMap<>();

    static {
        DEFAULTS.put("postroom.hostname", "localhost");
        DEFAULTS.put("postroom.domain", "localhost");
        DEFAULTS.put("postroom.postmaster", "");
        DEFAULTS.put("postroom.listen.address", "0.0.0.0");
        DEFAULTS.put("postroom.admin.address", "127.0.0.1");
        DEFAULTS.put("postroom.port.smtp", "25");
        DEFAULTS.put("postroom.port.submission", "587");
        DEFAULTS.put("postroom.port.smtps", "465");
        DEFAULTS.put("postroom.port.submission.alt", "2525");
        DEFAULTS.put("postroom.port.imap", "143");
        DEFAULTS.put("postroom.port.imaps", "993");
        DEFAULTS.put("postroom.port.pop3", "110");
        DEFAULTS.put("postroom.port.pop3s", "995");
        DEFAULTS.put("postroom.port.admin", "8000");
        DEFAULTS.put("postroom.dns.servers", "");
        DEFAULTS.put("postroom.trusted.networks", "");
        DEFAULTS.put("postroom.dkim.verify.timeout", "10s");
        DEFAULTS.put("postroom.dkim.verify.signatures.max", "5");
        DEFAULTS.put("postroom.relayhost", "");
        DEFAULTS.put("postroom.relayhost.username", "");
        DEFAULTS.put("postroom.relayhost.password.file", "");
        DEFAULTS.put("postroom.relayhost.starttls", "true");
        DEFAULTS.put("postroom.tls.certificate", "");
        DEFAULTS.put("postroom.tls.key", "");
        DEFAULTS.put("postroom.message.size.max", "50M");
        DEFAULTS.put("postroom.smtp.connections.max", "500");
        DEFAULTS.put("postroom.smtp.connections.perip", "20");
        DEFAULTS.put("postroom.imap.connections.max", "1000");
        DEFAULTS.put("postroom.imap.connections.perip", "50");
        DEFAULTS.put("postroom.pop3.connections.max", "500");
        DEFAULTS.put("postroom.pop3.connections.perip", "20");
        DEFAULTS.put("postroom.smtp.recipients.max", "1000");
        DEFAULTS.put("postroom.smtp.messages.per.connection", "100");
        DEFAULTS.put("postroom.smtp.header.size.max", "100K");
        DEFAULTS.put("postroom.queue.minfree", "100M");
        DEFAULTS.put("postroom.delivery.threads", "40");
        DEFAULTS.put("postroom.delivery.memory.recipients", "50000");
        DEFAULTS.put("postroom.delivery.retry.delays", "5m,15m,30m,1h,2h,4h");
        DEFAULTS.put("postroom.delivery.lifetime", "5d");
        DEFAULTS.put("postroom.dsn.delay.after", "4h");
        DEFAULTS.put("postroom.lists.verp", org.postroom.lists.delivery.Verp.DEFAULT_FORMAT);
        // The public listener (one-click unsubscribe) and the signed tokens.
        DEFAULTS.put("postroom.port.public", "8080");
        DEFAULTS.put("postroom.public.address", "");
        DEFAULTS.put("postroom.public.url", "");
        DEFAULTS.put("postroom.public.tls", "false");
        DEFAULTS.put("postroom.public.trusted.proxies", "");
        DEFAULTS.put("postroom.public.timeout", "20s");
        DEFAULTS.put("postroom.public.connections.max", "200");
        DEFAULTS.put("postroom.unsubscribe.grace", "90d");
        DEFAULTS.put("postroom.confirm.lifetime", "7d");
        DEFAULTS.put("postroom.bounce.soft.threshold", "5");
        DEFAULTS.put("postroom.bounce.soft.window", "30d");
        DEFAULTS.put("postroom.bounce.feedback.addresses", "");
        DEFAULTS.put("postroom.bounce.feedback.senders", "");
        DEFAULTS.put("postroom.bounce.copy.lifetime", "14d");
        // Failed logins (SMTP AUTH, IMAP, POP3): see org.postroom.server.login.LoginThrottle.
        DEFAULTS.put("postroom.login.throttle.failures", "10");
        DEFAULTS.put("postroom.login.throttle.window", "10m");
        DEFAULTS.put("postroom.login.throttle.ban", "10m");
        DEFAULTS.put("postroom.login.throttle.ban.max", "1d");
        DEFAULTS.put("postroom.login.throttle.account.failures", "30");
        DEFAULTS.put("postroom.login.throttle.exempt", "");
        // Prometheus /metrics and the log format: see org.postroom.server.metrics.
        DEFAULTS.put("postroom.metrics.enabled", "true");
        DEFAULTS.put("postroom.metrics.address", "127.0.0.1");
        DEFAULTS.put("postroom.port.metrics", "8001");
        DEFAULTS.put("postroom.metrics.auth.file", "");
        DEFAULTS.put("postroom.metrics.destinations.max", "50");
        DEFAULTS.put("postroom.log.format", "text");
        // Event webhooks (postroom webhook): see org.postroom.server.webhooks.WebhookService.
        DEFAULTS.put("postroom.webhooks.timeout", "10s");
        DEFAULTS.put("postroom.webhooks.retry.first", "30s");
        DEFAULTS.put("postroom.webhooks.retry.max", "1h");
        DEFAULTS.put("postroom.webhooks.lifetime", "3d");
    }

    public static final List<String> PORT_KEYS = List.of(
        "postroom.port.smtp", "postroom.port.submission", "postroom.port.smtps", "postroom.port.submission.alt",
        "postroom.port.imap", "postroom.port.imaps", "postroom.port.pop3", "postroom.port.pop3s",
        "postroom.port.admin", "postroom.port.public", "postroom.port.metrics");

    private final Map<String, String> values;

    private PostroomSettings(Map<String, String> values) {
        this.values = values;
    }

    /** Reads {@code conf/postroom.properties} under the installation, applies system property overrides, validates. */
    public static PostroomSettings load(Path confDirectory) {
        Path path = confDirectory.resolve(FILE_NAME);
        Properties file = readFile(path);
        List<String> unknown = unknownKeys(file);
        if (!unknown.isEmpty()) {
            throw new InvalidSettingsException(path + ": unknown setting(s) " + String.join(", ", unknown)
                + " (known settings are listed in the comments of the shipped file)");
        }
        PostroomSettings settings = fromFile(file);
        List<String> problems = settings.problems();
        if (!problems.isEmpty()) {
            throw new InvalidSettingsException(path + ": " + String.join("; ", problems));
        }
        return settings;
    }

    /**
     * Every problem of {@code conf/postroom.properties} (unknown keys, then invalid values), one message each,
     * without stopping at the first; empty when the file is valid. Used by {@code postroom config check}.
     */
    public static List<String> check(Path confDirectory) {
        Properties file = readFile(confDirectory.resolve(FILE_NAME));
        List<String> problems = new ArrayList<>();
        unknownKeys(file).forEach(key -> problems.add("unknown setting " + key));
        problems.addAll(fromFile(file).problems());
        return problems;
    }

    /** Every setting Postroom knows with its default (empty: not set), in the order of the shipped file. */
    public static Map<String, String> defaults() {
        return Collections.unmodifiableMap(DEFAULTS);
    }

    /** The names of every setting Postroom knows. */
    public static Set<String> knownKeys() {
        return Collections.unmodifiableSet(DEFAULTS.keySet());
    }

    private static Properties readFile(Path path) {
        Properties file = new Properties();
        if (Files.isRegularFile(path)) {
            try (InputStream in = Files.newInputStream(path)) {
                file.load(in);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + path, e);
            }
        }
        return file;
    }

    private static List<String> unknownKeys(Properties file) {
        List<String> unknown = new ArrayList<>();
        for (String key : file.stringPropertyNames()) {
            if (!DEFAULTS.containsKey(key)) {
                unknown.add(key);
            }
        }
        unknown.sort(String::compareTo);
        return unknown;
    }

    private static PostroomSettings fromFile(Properties file) {
        Map<String, String> values = new TreeMap<>();
        DEFAULTS.forEach((key, defaultValue) -> {
            String value = System.getProperty(key, file.getProperty(key, defaultValue));
            values.put(key, value.trim());
        });
        return new PostroomSettings(values);
    }

    private List<String> problems() {
        List<String> problems = new ArrayList<>();
        for (String key : PORT_KEYS) {
            try {
                int port = Integer.parseInt(get(key));
                if (port < 1 || port > 65535) {
                    problems.add(key + "=" + get(key) + " is not a port number (1-65535)");
                }
            } catch (NumberFormatException e) {
                problems.add(key + "=" + get(key) + " is not a port number (1-65535)");
            }
        }
        if (!get("postroom.message.size.max").matches("\\d+[KMG]?")) {
            problems.add("postroom.message.size.max=" + get("postroom.message.size.max") + " must be a size such as 50M");
        }
        for (String key : List.of("postroom.smtp.connections.max",
            "postroom.smtp.connections.perip", "postroom.imap.connections.max", "postroom.imap.connections.perip",
            "postroom.pop3.connections.max", "postroom.pop3.connections.perip", "postroom.delivery.threads")) {
            if (!get(key).matches("\\d+")) {
                problems.add(key + "=" + get(key) + " must be a whole number");
            }
        }
        problems.addAll(smtpLimitProblems());
        org.postroom.lists.delivery.Verp.problem(get("postroom.lists.verp"))
            .ifPresent(problem -> problems.add("postroom.lists.verp=" + problem));
        if (!get("postroom.delivery.memory.recipients").matches("[1-9]\\d{3,6}")) {
            problems.add("postroom.delivery.memory.recipients=" + get("postroom.delivery.memory.recipients")
                + " must be a whole number from 1000 to 9999999");
        }
        if (!get("postroom.domain").matches("[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?")) {
            problems.add("postroom.domain=" + get("postroom.domain") + " is not a domain name");
        }
        org.postroom.server.login.Networks.problem(get("postroom.trusted.networks"))
            .ifPresent(problem -> problems.add("postroom.trusted.networks: " + problem));
        problems.addAll(org.postroom.server.dns.DnsServers.problems(dnsServers()));
        if (!get("postroom.hostname").matches("[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?")) {
            problems.add("postroom.hostname=" + get("postroom.hostname") + " is not a host name");
        }
        if (!postmaster().matches("[^@\\s]+@[A-Za-z0-9.-]+")) {
            problems.add("postroom.postmaster=" + postmaster() + " is not a mail address");
        }
        relayhost().ifPresent(relay -> {
            if (!relay.matches("\\[?[A-Za-z0-9.:-]+]?(:\\d{1,5})?")) {
                problems.add("postroom.relayhost=" + relay + " must be host, host:port or [host]:port");
            }
        });
        String admin = get("postroom.admin.address");
        if (!admin.matches("127(\\.\\d{1,3}){3}|::1|\\[::1]|localhost")) {
            problems.add("postroom.admin.address=" + admin + " is not a loopback address: the admin API has no TLS, so it"
                + " listens on loopback only (127.0.0.1 or ::1); reach it from elsewhere through SSH or a TLS proxy");
        }
        if (!get("postroom.relayhost.starttls").matches("true|false")) {
            problems.add("postroom.relayhost.starttls=" + get("postroom.relayhost.starttls") + " must be true or false");
        } else if (!get("postroom.relayhost.username").isEmpty() && !get("postroom.relayhost.starttls").equals("true")) {
            problems.add("postroom.relayhost.username is set but postroom.relayhost.starttls=false: the smarthost"
                + " password is only sent over TLS with a verified certificate (set postroom.relayhost.starttls=true)");
        }
        problems.addAll(bounceProblems());
        List<String> delays = list("postroom.delivery.retry.delays");
        if (delays.isEmpty() || !delays.stream().allMatch(delay -> delay.matches("0*[1-9][0-9]*[smhd]"))) {
            problems.add("postroom.delivery.retry.delays=" + get("postroom.delivery.retry.delays")
                + " must be a comma-separated list of durations such as 5m,15m,1h (s, m, h or d; none zero)");
        }
        if (!get("postroom.delivery.lifetime").matches("0*[1-9][0-9]*[smhd]")) {
            problems.add("postroom.delivery.lifetime=" + get("postroom.delivery.lifetime")
                + " must be a duration such as 5d (s, m, h or d; not zero)");
        }
        if (!get("postroom.dsn.delay.after").matches("[0-9]+[smhd]?") || get("postroom.dsn.delay.after").matches("[1-9][0-9]*")) {
            problems.add("postroom.dsn.delay.after=" + get("postroom.dsn.delay.after")
                + " must be a duration such as 4h (s, m, h or d), or 0 for no delay notices");
        }
        try {
            if (duration("postroom.dkim.verify.timeout").isZero()) {
                problems.add("postroom.dkim.verify.timeout=0 must be longer than zero");
            }
        } catch (IllegalArgumentException e) {
            problems.add("postroom.dkim.verify.timeout=" + get("postroom.dkim.verify.timeout")
                + " must be a duration such as 10s (s, m, h or d; not zero)");
        }
        if (!get("postroom.dkim.verify.signatures.max").matches("[1-9]|[1-4][0-9]|50")) {
            problems.add("postroom.dkim.verify.signatures.max=" + get("postroom.dkim.verify.signatures.max")
                + " must be a whole number from 1 to 50");
        }
        if (get("postroom.tls.certificate").isEmpty() != get("postroom.tls.key").isEmpty()) {
            problems.add("postroom.tls.certificate and postroom.tls.key must be set together (or both left empty"
                + " for a generated self-signed certificate)");
        }
        problems.addAll(publicListenerProblems());
        problems.addAll(loginThrottleProblems());
        problems.addAll(webhookProblems());
        problems.addAll(metricsProblems());
        return problems;
    }

    private List<String> metricsProblems() {
        List<String> problems = new ArrayList<>();
        if (!get("postroom.metrics.enabled").matches("true|false")) {
            problems.add("postroom.metrics.enabled=" + get("postroom.metrics.enabled") + " must be true or false");
        }
        String address = get("postroom.metrics.address");
        if (!address.matches("[0-9.]+|[0-9A-Fa-f:]+|\\[[0-9A-Fa-f:]+]|[A-Za-z0-9.-]+")) {
            problems.add("postroom.metrics.address=" + address + " is not an address");
        } else if (!isLoopback(address) && get("postroom.metrics.auth.file").isEmpty()) {
            problems.add("postroom.metrics.address=" + address + " is not a loopback address and"
                + " postroom.metrics.auth.file is not set: /metrics listens beyond this machine only with basic auth"
                + " (a 0600 file holding USER:PASSWORD); or keep 127.0.0.1 and scrape through SSH or a TLS proxy");
        }
        if (!get("postroom.metrics.destinations.max").matches("[1-9]\\d{0,2}|1000")) {
            problems.add("postroom.metrics.destinations.max=" + get("postroom.metrics.destinations.max")
                + " must be a whole number from 1 to 1000");
        }
        if (!get("postroom.log.format").matches("text|json")) {
            problems.add("postroom.log.format=" + get("postroom.log.format") + " must be text or json");
        }
        return problems;
    }

    private List<String> webhookProblems() {
        List<String> problems = new ArrayList<>();
        for (String key : List.of("postroom.webhooks.timeout", "postroom.webhooks.retry.first",
            "postroom.webhooks.retry.max", "postroom.webhooks.lifetime")) {
            if (period(get(key)).isEmpty()) {
                problems.add(key + "=" + get(key) + " must be a duration such as 10s, 30s, 1h or 3d (not zero)");
            }
        }
        period(get("postroom.webhooks.timeout"))
            .filter(timeout -> timeout.compareTo(java.time.Duration.ofSeconds(60)) > 0)
            .ifPresent(timeout -> problems.add("postroom.webhooks.timeout=" + get("postroom.webhooks.timeout")
                + " must be at most 60s"));
        if (period(get("postroom.webhooks.retry.first")).isPresent() && period(get("postroom.webhooks.retry.max"))
            .filter(max -> max.compareTo(period(get("postroom.webhooks.retry.first")).get()) < 0).isPresent()) {
            problems.add("postroom.webhooks.retry.max=" + get("postroom.webhooks.retry.max")
                + " must not be shorter than postroom.webhooks.retry.first=" + get("postroom.webhooks.retry.first"));
        }
        return problems;
    }

    /** 127.0.0.0/8, ::1 or localhost: addresses only this machine reaches. */
    public static boolean isLoopback(String address) {
        return address.matches("127(\\.\\d{1,3}){3}|::1|\\[::1]|localhost");
    }

    /** Whether the Prometheus endpoint runs ({@code postroom.metrics.enabled}). */
    public boolean metricsEnabled() {
        return Boolean.parseBoolean(get("postroom.metrics.enabled"));
    }

    /** The webhook delivery settings ({@code postroom.webhooks.*}), validated by {@link #load}. */
    public org.postroom.server.webhooks.WebhookSettings webhookSettings() {
        return new org.postroom.server.webhooks.WebhookSettings(period(get("postroom.webhooks.timeout")).orElseThrow(),
            period(get("postroom.webhooks.retry.first")).orElseThrow(),
            period(get("postroom.webhooks.retry.max")).orElseThrow(),
            period(get("postroom.webhooks.lifetime")).orElseThrow());
    }

    private List<String> loginThrottleProblems() {
        List<String> problems = new ArrayList<>();
        for (String key : List.of("postroom.login.throttle.failures", "postroom.login.throttle.account.failures")) {
            if (!get(key).matches("\\d{1,6}")) {
                problems.add(key + "=" + get(key) + " must be a whole number (0 turns this counting off)");
            }
        }
        for (String key : List.of("postroom.login.throttle.window", "postroom.login.throttle.ban",
            "postroom.login.throttle.ban.max")) {
            if (period(get(key)).isEmpty()) {
                problems.add(key + "=" + get(key) + " must be a duration such as 10m, 1h or 1d (not zero)");
            }
        }
        if (period(get("postroom.login.throttle.ban")).isPresent() && period(get("postroom.login.throttle.ban.max"))
            .filter(max -> max.compareTo(period(get("postroom.login.throttle.ban")).get()) < 0).isPresent()) {
            problems.add("postroom.login.throttle.ban.max=" + get("postroom.login.throttle.ban.max")
                + " must not be shorter than postroom.login.throttle.ban=" + get("postroom.login.throttle.ban"));
        }
        org.postroom.server.login.Networks.problem(get("postroom.login.throttle.exempt"))
            .ifPresent(problem -> problems.add("postroom.login.throttle.exempt: " + problem));
        return problems;
    }

    private List<String> smtpLimitProblems() {
        List<String> problems = new ArrayList<>();
        for (String key : List.of("postroom.smtp.recipients.max", "postroom.smtp.messages.per.connection")) {
            if (!get(key).matches("[1-9]\\d{0,8}")) {
                problems.add(key + "=" + get(key) + " must be a whole number from 1 to 999999999");
            }
        }
        if (!get("postroom.smtp.header.size.max").matches("(?i)0*[1-9]\\d{0,11}[KMG]?")) {
            problems.add("postroom.smtp.header.size.max=" + get("postroom.smtp.header.size.max")
                + " must be a size such as 102400 or 100K (not zero)");
        }
        if (org.postroom.server.smtp.QueueFreeSpace.MinFree.parse(get("postroom.queue.minfree")).isEmpty()) {
            problems.add("postroom.queue.minfree=" + get("postroom.queue.minfree")
                + " must be a size such as 100M or 2G, a share of the file system such as 5%, or 0 for no check");
        }
        return problems;
    }

    private List<String> publicListenerProblems() {
        List<String> problems = new ArrayList<>();
        String address = get("postroom.public.address");
        if (!address.isEmpty() && !address.matches("[0-9.]+|[0-9A-Fa-f:]+|[A-Za-z0-9.-]+")) {
            problems.add("postroom.public.address=" + address + " is not an address");
        }
        String url = get("postroom.public.url");
        if (!url.isEmpty() && !url.matches("https?://[A-Za-z0-9.-]+(:\\d{1,5})?(/[A-Za-z0-9._~/-]*)?")) {
            problems.add("postroom.public.url=" + url + " must be an http(s) URL without query, such as"
                + " https://lists.example.org or https://example.org/postroom");
        }
        if (!get("postroom.public.tls").matches("true|false")) {
            problems.add("postroom.public.tls=" + get("postroom.public.tls") + " must be true or false");
        }
        for (String network : list("postroom.public.trusted.proxies")) {
            if (!network.matches("[0-9.]+(/\\d{1,2})?|[0-9A-Fa-f:]+(/\\d{1,3})?")) {
                problems.add("postroom.public.trusted.proxies: " + network + " is not an address or CIDR network");
            }
        }
        if (!get("postroom.public.connections.max").matches("[1-9]\\d{0,5}")) {
            problems.add("postroom.public.connections.max=" + get("postroom.public.connections.max")
                + " must be a whole number from 1");
        }
        for (String key : List.of("postroom.public.timeout", "postroom.unsubscribe.grace", "postroom.confirm.lifetime")) {
            try {
                if (duration(key).isZero()) {
                    problems.add(key + "=" + get(key) + " must be longer than zero");
                }
            } catch (IllegalArgumentException e) {
                problems.add(key + "=" + get(key) + " must be a duration such as 30s, 15m, 12h or 90d");
            }
        }
        return problems;
    }

    private List<String> bounceProblems() {
        List<String> problems = new ArrayList<>();
        String threshold = get("postroom.bounce.soft.threshold");
        if (!threshold.matches("\\d{1,6}") || Integer.parseInt(threshold) < 1) {
            problems.add("postroom.bounce.soft.threshold=" + threshold + " must be a whole number of at least 1");
        }
        if (period(get("postroom.bounce.soft.window")).isEmpty()) {
            problems.add("postroom.bounce.soft.window=" + get("postroom.bounce.soft.window")
                + " must be a positive duration such as 30d, 12h or 90m");
        }
        for (String address : list("postroom.bounce.feedback.addresses")) {
            if (!address.matches("[^@\\s,]+@[A-Za-z0-9.-]+")) {
                problems.add("postroom.bounce.feedback.addresses: " + address + " is not a mail address");
            }
        }
        for (String sender : list("postroom.bounce.feedback.senders")) {
            if (!sender.matches("([^@\\s,]+@)?[A-Za-z0-9-]+(\\.[A-Za-z0-9-]+)+")) {
                problems.add("postroom.bounce.feedback.senders: " + sender + " is neither a mail address nor a domain");
            }
        }
        if (period(get("postroom.bounce.copy.lifetime")).isEmpty()) {
            problems.add("postroom.bounce.copy.lifetime=" + get("postroom.bounce.copy.lifetime")
                + " must be a positive duration such as 14d");
        }
        return problems;
    }

    /** Where the public listener binds: postroom.public.address, else postroom.listen.address. */
    public String publicAddress() {
        String address = get("postroom.public.address");
        return address.isEmpty() ? get("postroom.listen.address") : address;
    }

    public boolean publicTls() {
        return Boolean.parseBoolean(get("postroom.public.tls"));
    }

    /**
     * The base of one-click URLs: postroom.public.url, else {@code https://HOSTNAME}, with the port when the
     * listener serves TLS itself on another port than 443 (behind a reverse proxy the proxy serves 443).
     */
    public java.net.URI publicUrl() {
        String url = get("postroom.public.url");
        if (!url.isEmpty()) {
            return java.net.URI.create(url);
        }
        int port = port("postroom.port.public");
        return java.net.URI.create("https://" + hostname() + (publicTls() && port != 443 ? ":" + port : ""));
    }

    /** Addresses or CIDR networks of reverse proxies whose X-Forwarded-For is believed. */
    public List<String> trustedProxies() {
        return list("postroom.public.trusted.proxies");
    }

    /** A positive duration written {@code 30d}, {@code 12h}, {@code 90m} or {@code 45s}; empty when malformed or zero. */
    public static Optional<java.time.Duration> period(String text) {
        return parseDuration(text.strip()).filter(duration -> !duration.isZero());
    }

    /** The bounce policy's settings ({@code postroom.bounce.*}), validated by {@link #load}. */
    public org.postroom.bounce.processing.BounceSettings bounceSettings() {
        java.util.Set<org.apache.james.core.MailAddress> feedback = new java.util.LinkedHashSet<>();
        for (String address : list("postroom.bounce.feedback.addresses")) {
            try {
                feedback.add(new org.apache.james.core.MailAddress(address));
            } catch (javax.mail.internet.AddressException e) {
                throw new InvalidSettingsException("postroom.bounce.feedback.addresses: " + address
                    + " is not a mail address");
            }
        }
        return new org.postroom.bounce.processing.BounceSettings(
            Integer.parseInt(get("postroom.bounce.soft.threshold")),
            period(get("postroom.bounce.soft.window")).orElseThrow(), feedback,
            java.util.Set.copyOf(list("postroom.bounce.feedback.senders")),
            period(get("postroom.bounce.copy.lifetime")).orElseThrow());
    }

    public String get(String key) {
        String value = values.get(key);
        if (value == null) {
            throw new IllegalArgumentException("unknown setting " + key);
        }
        return value;
    }

    public int port(String key) {
        return Integer.parseInt(get(key));
    }

    public String hostname() {
        return get("postroom.hostname");
    }

    public String domain() {
        return get("postroom.domain");
    }

    public String postmaster() {
        String value = get("postroom.postmaster");
        return value.isEmpty() ? "postmaster@" + domain() : value;
    }

    public Optional<String> relayhost() {
        return Optional.of(get("postroom.relayhost")).filter(s -> !s.isEmpty());
    }

    /** The bound of the inbound DKIM check of one message, key lookups included; past it {@code dkim=temperror}. */
    public java.time.Duration dkimVerifyTimeout() {
        return duration("postroom.dkim.verify.timeout");
    }

    /** How many DKIM-Signature fields of one inbound message are evaluated, from the top; further ones are ignored. */
    public int dkimVerifySignaturesMax() {
        return Integer.parseInt(get("postroom.dkim.verify.signatures.max"));
    }

    /** Networks (CIDR) whose unauthenticated clients may use our domains as sender on the MX port. */
    public List<String> trustedNetworks() {
        return list("postroom.trusted.networks");
    }

    /** A duration setting: a whole number followed by s, m, h or d ({@code 0} alone is zero). */
    public java.time.Duration duration(String key) {
        return parseDuration(get(key))
            .orElseThrow(() -> new IllegalArgumentException(key + "=" + get(key) + " is not a duration"));
    }

    /** The waits between delivery attempts: after the n-th failure the n-th delay, the last one repeating. */
    public List<java.time.Duration> retryDelays() {
        return list("postroom.delivery.retry.delays").stream()
            .map(delay -> parseDuration(delay).orElseThrow(() -> new IllegalArgumentException("not a duration: " + delay)))
            .toList();
    }

    /** {@code 45s}, {@code 90m}, {@code 12h}, {@code 30d} or {@code 0}; empty when malformed. */
    public static Optional<java.time.Duration> parseDuration(String value) {
        if (value.matches("0+")) {
            return Optional.of(java.time.Duration.ZERO);
        }
        java.util.regex.Matcher matcher = java.util.regex.Pattern.compile("(\\d{1,9})([smhd])").matcher(value);
        if (!matcher.matches()) {
            return Optional.empty();
        }
        long amount = Long.parseLong(matcher.group(1));
        return Optional.of(switch (matcher.group(2)) {
            case "s" -> java.time.Duration.ofSeconds(amount);
            case "m" -> java.time.Duration.ofMinutes(amount);
            case "h" -> java.time.Duration.ofHours(amount);
            default -> java.time.Duration.ofDays(amount);
        });
    }

    /** The resolvers: {@code host}, {@code host:port} or {@code [IPv6]:port} each; empty for /etc/resolv.conf's. */
    public List<String> dnsServers() {
        return list("postroom.dns.servers");
    }

    private List<String> list(String key) {
        String value = get(key);
        if (value.isEmpty()) {
            return List.of();
        }
        return Arrays.stream(value.split("[,\\s]+")).filter(s -> !s.isEmpty()).toList();
    }

    /** Publishes every setting as a system property, for interpolation in James's XML files. */
    public void publish(Map<String, String> computed) {
        values.putAll(computed);
        values.forEach(System::setProperty);
    }

    public Map<String, String> asMap() {
        return Map.copyOf(values);
    }

    public static final class InvalidSettingsException extends RuntimeException {
        public InvalidSettingsException(String message) {
            super(message);
        }
    }
}
