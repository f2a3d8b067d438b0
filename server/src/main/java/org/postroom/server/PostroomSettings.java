package org.postroom.server;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;

import org.postroom.bounce.processing.BounceSettings;
import org.postroom.server.bounce.BounceProperties;
import org.postroom.server.delivery.DeliverySettings;
import org.postroom.server.delivery.policy.TransportSecuritySettings;
import org.postroom.server.reports.ReportSettings;
import org.postroom.server.delivery.dane.DaneSettings;
import org.postroom.server.lists.ListSettings;
import org.postroom.server.login.LoginThrottle;
import org.postroom.server.metrics.MetricsAuth;
import org.postroom.server.metrics.MetricsSettings;
import org.postroom.server.smtp.SmtpSettings;
import org.postroom.server.tls.TlsSettings;
import org.postroom.server.unsubscribe.PublicSettings;
import org.postroom.server.webhooks.WebhookSettings;
import org.postroom.server.wellknown.MtaStsSettings;

/**
 * The organization's settings: {@code conf/postroom.properties}, the one place a postmaster edits for hostname,
 * domain, ports, DNS resolvers, smarthost and TLS certificate. A JVM system property of the same name overrides
 * the file (handy for tests and one-off runs).
 *
 * <p>Each capability owns its keys, their defaults and their checks in one typed settings object ({@link
 * ServerSettings}, {@link ListenerSettings}, {@link org.postroom.server.smtp.SmtpSettings}, ...), read here once
 * through a {@link SettingsReader} and bound in Guice by {@code PostroomModule}; nothing else reads the file or
 * looks a key up by name. Unknown keys are refused with a message naming them, so a typo fails the start instead of
 * being ignored. The values are also published as system properties, only so that James's XML configuration in
 * {@code conf/} reads them through commons-configuration interpolation ({@code ${sys:postroom.port.smtp}}).
 */
public final class PostroomSettings {
    public static final String FILE_NAME = "postroom.properties";

    /** Every key Postroom knows, with its default (an empty default means "not set"): the capabilities' own. */
    private static final Map<String, String> DEFAULTS = new LinkedHashMap<>();

    static {
        for (Map<String, String> declared : List.of(ServerSettings.DEFAULTS, ListenerSettings.DEFAULTS,
            SmtpSettings.DEFAULTS, DeliverySettings.General.DEFAULTS, DaneSettings.DEFAULTS, BounceProperties.DEFAULTS,
            LoginThrottle.Settings.DEFAULTS, TlsSettings.DEFAULTS, ListSettings.DEFAULTS, PublicSettings.DEFAULTS,
            MetricsSettings.DEFAULTS, WebhookSettings.DEFAULTS, TransportSecuritySettings.DEFAULTS,
            ReportSettings.DEFAULTS, MtaStsSettings.DEFAULTS)) {
            declared.forEach((key, value) -> {
                if (DEFAULTS.putIfAbsent(key, value) != null) {
                    throw new IllegalStateException(key + " is declared twice");
                }
            });
        }
    }

    private final Map<String, String> values;
    private final List<String> problems;
    private final java.util.Set<String> keysRead;
    private final ServerSettings server;
    private final ListenerSettings listening;
    private final SmtpSettings smtp;
    private final TlsSettings tls;
    private final DeliverySettings.General delivery;
    private final DaneSettings dane;
    private final ListSettings lists;
    private final PublicSettings publicListener;
    private final BounceSettings bounces;
    private final LoginThrottle.Settings loginThrottle;
    private final MetricsSettings metrics;
    private final WebhookSettings webhooks;
    private final TransportSecuritySettings transportSecurity;
    private final ReportSettings reports;
    private final MtaStsSettings mtaSts;

    private PostroomSettings(Map<String, String> values) {
        this.values = values;
        SettingsReader in = new SettingsReader(values, DEFAULTS);
        this.server = ServerSettings.read(in);
        this.listening = ListenerSettings.read(in);
        this.smtp = SmtpSettings.read(in);
        this.tls = TlsSettings.read(in);
        this.delivery = DeliverySettings.General.read(in);
        this.dane = DaneSettings.read(in);
        this.lists = ListSettings.read(in);
        this.publicListener = PublicSettings.read(in, listening.listenAddress(), server.hostname());
        this.bounces = BounceProperties.read(in);
        this.loginThrottle = LoginThrottle.Settings.read(in);
        this.metrics = MetricsSettings.read(in);
        this.webhooks = WebhookSettings.read(in);
        this.transportSecurity = TransportSecuritySettings.read(in);
        this.reports = ReportSettings.read(in);
        this.mtaSts = MtaStsSettings.read(in, server.hostname());
        this.problems = in.problems();
        this.keysRead = in.keysRead();
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
        if (!settings.problems.isEmpty()) {
            throw new InvalidSettingsException(path + ": " + String.join("; ", settings.problems));
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
        problems.addAll(fromFile(file).problems);
        return problems;
    }

    /** Every setting Postroom knows with its default (empty: not set), capability by capability. */
    public static Map<String, String> defaults() {
        return Collections.unmodifiableMap(DEFAULTS);
    }

    /** The names of every setting Postroom knows. */
    public static Set<String> knownKeys() {
        return Collections.unmodifiableSet(DEFAULTS.keySet());
    }

    /** {@link #files()} of {@code conf/postroom.properties} as written, valid or not (for {@code postroom config check}). */
    public static Map<String, String> namedFiles(Path confDirectory) {
        return fromFile(readFile(confDirectory.resolve(FILE_NAME))).files();
    }

    /** {@link #dane()} of {@code conf/postroom.properties} as written, valid or not (for {@code postroom config check}). */
    public static DaneSettings daneSettings(Path confDirectory) {
        return fromFile(readFile(confDirectory.resolve(FILE_NAME))).dane();
    }

    /** The keys the typed settings read: every known key, or one is a setting that does nothing. */
    Set<String> keysRead() {
        return keysRead;
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

    // --- the capabilities' settings -------------------------------------------------------------------------

    public ServerSettings server() {
        return server;
    }

    /** Where the mail protocols and the admin API listen. */
    public ListenerSettings listening() {
        return listening;
    }

    public SmtpSettings smtp() {
        return smtp;
    }

    public TlsSettings tls() {
        return tls;
    }

    public DeliverySettings.General delivery() {
        return delivery;
    }

    /** Outbound DANE (RFC 7672): on or off, and the DNSSEC trust anchors. */
    public DaneSettings dane() {
        return dane;
    }

    public ListSettings lists() {
        return lists;
    }

    public PublicSettings publicListener() {
        return publicListener;
    }

    public BounceSettings bounces() {
        return bounces;
    }

    public LoginThrottle.Settings loginThrottle() {
        return loginThrottle;
    }

    public MetricsSettings metrics() {
        return metrics;
    }

    public ReportSettings reports() {
        return reports;
    }

    public TransportSecuritySettings transportSecurity() {
        return transportSecurity;
    }

    public WebhookSettings webhooks() {
        return webhooks;
    }

    /** The MTA-STS policy the public listener serves for the local domains. */
    public MtaStsSettings mtaSts() {
        return mtaSts;
    }

    public String hostname() {
        return server.hostname();
    }

    /**
     * Every socket the server opens, in the order of the settings file: the mail protocols, the admin API, the
     * public listener, and the metrics endpoint when it runs.
     */
    public List<ListenerSettings.Listener> listeners() {
        List<ListenerSettings.Listener> all = new ArrayList<>(listening.all());
        all.add(new ListenerSettings.Listener("postroom.port.public", "public", publicListener.address(), publicListener.port()));
        if (metrics.enabled()) {
            all.add(new ListenerSettings.Listener("postroom.port.metrics", "metrics", metrics.address(), metrics.port()));
        }
        return all;
    }

    /** The settings that name a file outside conf/ (a backup copies them): key and file, for those set. */
    public Map<String, String> files() {
        Map<String, String> files = new LinkedHashMap<>();
        delivery.relayhost().flatMap(DeliverySettings.Relayhost::passwordFile)
            .ifPresent(file -> files.put("postroom.relayhost.password.file", file));
        tls.certificate().ifPresent(file -> files.put("postroom.tls.certificate", file));
        tls.key().ifPresent(file -> files.put("postroom.tls.key", file));
        metrics.authFile().ifPresent(file -> files.put(MetricsAuth.KEY, file));
        transportSecurity.extraCa().ifPresent(file -> files.put("postroom.delivery.tls.ca.file", file.toString()));
        if (!dane.trustAnchorFile().startsWith("conf/")) {
            files.put("postroom.dane.trust-anchor.file", dane.trustAnchorFile());
        }
        return files;
    }

    // --- value grammar shared by the capabilities --------------------------------------------------------------

    /** 127.0.0.0/8, ::1 or localhost: addresses only this machine reaches. */
    public static boolean isLoopback(String address) {
        return address.matches("127(\\.\\d{1,3}){3}|::1|\\[::1]|localhost");
    }

    /** A positive duration written {@code 30d}, {@code 12h}, {@code 90m} or {@code 45s}; empty when malformed or zero. */
    public static Optional<java.time.Duration> period(String text) {
        return parseDuration(text.strip()).filter(duration -> !duration.isZero());
    }

    /** {@code 45s}, {@code 90m}, {@code 12h}, {@code 30d} or {@code 0}; empty when malformed. */
    public static Optional<java.time.Duration> parseDuration(String value) {
        if (value.matches("0+")) {
            return Optional.of(java.time.Duration.ZERO);
        }
        java.util.regex.Matcher matcher = DURATION.matcher(value);
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

    private static final java.util.regex.Pattern DURATION = java.util.regex.Pattern.compile("(\\d{1,9})([smhd])");

    /** Publishes every setting as a system property, for interpolation in James's XML files. */
    public void publish(Map<String, String> computed) {
        values.putAll(computed);
        values.forEach(System::setProperty);
    }

    public static final class InvalidSettingsException extends RuntimeException {
        public InvalidSettingsException(String message) {
            super(message);
        }
    }
}
