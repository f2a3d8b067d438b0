package org.postroom.server;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilder;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;

import org.xml.sax.ErrorHandler;
import org.xml.sax.SAXException;
import org.xml.sax.SAXParseException;

/**
 * Validates an installation's {@code conf/} without starting the server, and names every problem it finds rather
 * than stopping at the first: unknown or invalid settings of {@code postroom.properties}, files those settings
 * name that do not exist or cannot be read, missing configuration files, XML that does not parse, {@code ${sys:...}}
 * references to settings that do not exist, mailet, matcher and handler classes that are not on the classpath,
 * and an admin API left without token authentication.
 *
 * <p>Run by {@code postroom config check} in a separate JVM on the server's {@code lib/} (the command itself
 * carries no server classes): {@code java -cp 'lib/*' org.postroom.server.ConfigCheck [--json] [CONF_DIR]}.
 * Exit codes: 0 valid, 1 problems found, 2 usage error.
 */
public final class ConfigCheck {
    /** The files every installation needs: James falls back to defaults that do not suit Postroom without them. */
    static final List<String> REQUIRED_FILES = List.of(
        PostroomSettings.FILE_NAME, "domainlist.xml", "imapserver.xml", "james-database.properties", "logback.xml",
        "mailetcontainer.xml", "mailrepositorystore.xml", "pop3server.xml", "recipientrewritetable.xml",
        "smtpserver.xml", "usersrepository.xml", "webadmin.properties");

    /** Values the server computes at start and publishes next to the settings. */
    static final Set<String> COMPUTED_PROPERTIES = Set.of(PostroomHome.PROPERTY, "postroom.tls.certificate.url",
        "postroom.tls.key.url", "postroom.admin.publickey.url");

    private static final List<String> MAILET_PACKAGES = List.of("", "org.apache.james.transport.mailets.");
    private static final List<String> MATCHER_PACKAGES = List.of("", "org.apache.james.transport.matchers.",
        "org.apache.james.mailetcontainer.impl.matchers.");
    private static final Pattern SYSTEM_REFERENCE = Pattern.compile("\\$\\{sys:([^}]*)}");
    private static final Pattern CLASS_ATTRIBUTE = Pattern.compile("<(\\w+)\\b[^>]*?\\sclass\\s*=\\s*\"([^\"]*)\"");
    private static final Pattern MATCH_ATTRIBUTE = Pattern.compile("\\smatch\\s*=\\s*\"([^\"]*)\"");
    private static final Pattern MATCHER_NAME = Pattern.compile("<matcher\\b[^>]*?\\sname\\s*=\\s*\"([^\"]*)\"");
    private static final Pattern COMMENT = Pattern.compile("<!--.*?-->", Pattern.DOTALL);

    /** One problem: the file, the line when known (0 otherwise), and what is wrong. */
    public record Problem(Path file, int line, String message) {
        public String describe() {
            return file + (line > 0 ? ":" + line : "") + ": " + message;
        }
    }

    private final Path conf;
    private final Path installation;
    private final List<Problem> problems = new ArrayList<>();
    private int filesChecked;

    private ConfigCheck(Path conf) {
        this.conf = conf.toAbsolutePath().normalize();
        this.installation = this.conf.getParent() == null ? this.conf : this.conf.getParent();
    }

    public static void main(String[] args) {
        System.exit(run(System.out, System.err, args));
    }

    /** Checks the conf/ folder named by the arguments (default: the installation's) and prints the outcome. */
    public static int run(PrintStream out, PrintStream err, String... args) {
        boolean json = false;
        Path conf = null;
        for (String arg : args) {
            if (arg.equals("--json")) {
                json = true;
            } else if (arg.startsWith("-") || conf != null) {
                err.println("ERROR: usage: ConfigCheck [--json] [CONF_DIR]");
                return 2;
            } else {
                conf = Path.of(arg);
            }
        }
        ConfigCheck check = new ConfigCheck(conf != null ? conf : PostroomHome.locate().conf());
        List<Problem> problems = check.check();
        if (json) {
            out.println(check.json());
        } else {
            problems.forEach(problem -> out.println(problem.describe()));
            if (problems.isEmpty()) {
                out.println(check.conf + ": OK (" + check.filesChecked + " files checked)");
            } else {
                err.println("ERROR: " + problems.size() + " problem(s) in " + check.conf);
            }
        }
        return problems.isEmpty() ? 0 : 1;
    }

    /** Every problem of the conf/ folder; empty when it is valid. */
    public static List<Problem> check(Path conf) {
        return new ConfigCheck(conf).check();
    }

    private List<Problem> check() {
        if (!Files.isDirectory(conf) || !Files.isReadable(conf)) {
            problems.add(new Problem(conf, 0, "not a readable folder"));
            return problems;
        }
        for (String name : REQUIRED_FILES) {
            Path file = conf.resolve(name);
            if (!Files.isRegularFile(file)) {
                problems.add(new Problem(file, 0, "missing (copy it from the distribution's conf/)"));
            } else if (!Files.isReadable(file)) {
                problems.add(new Problem(file, 0, "not readable"));
            }
        }
        checkSettings();
        checkDelivery();
        try (Stream<Path> files = Files.list(conf)) {
            for (Path file : files.sorted().toList()) {
                String name = file.getFileName().toString();
                if (!Files.isRegularFile(file) || !Files.isReadable(file)) {
                    continue;
                }
                if (name.endsWith(".xml")) {
                    filesChecked++;
                    checkXml(file);
                } else if (name.endsWith(".properties")) {
                    filesChecked++;
                    checkProperties(file);
                }
            }
        } catch (IOException e) {
            problems.add(new Problem(conf, 0, "cannot list: " + e.getMessage()));
        }
        checkAdminApi();
        return problems;
    }

    private void checkSettings() {
        Path file = conf.resolve(PostroomSettings.FILE_NAME);
        if (!Files.isRegularFile(file)) {
            return;
        }
        try {
            PostroomSettings.check(conf).forEach(message -> problems.add(new Problem(file, 0, message)));
            PostroomSettings.namedFiles(conf).forEach((key, value) -> requireReadableFile(file, key, value));
            checkDaneTrustAnchors(file);
        } catch (UncheckedIOException e) {
            problems.add(new Problem(file, 0, "cannot read: " + e.getMessage()));
        }
    }

    /** With DANE on, the trust anchor file must hold DS or DNSKEY records (else the server does not start). */
    private void checkDaneTrustAnchors(Path settingsFile) {
        org.postroom.server.delivery.dane.DaneSettings dane = PostroomSettings.daneSettings(conf);
        if (!dane.enabled()) {
            return;
        }
        try {
            org.postroom.server.delivery.dane.DaneResolver.readTrustAnchors(installation.resolve(dane.trustAnchorFile()));
        } catch (IOException e) {
            problems.add(new Problem(settingsFile, 0, e.getMessage()));
        }
    }

    /** Destinations, pools and back-off: conf/destinations.properties, then conf/delivery.properties. */
    private void checkDelivery() {
        java.util.Map<String, String> keys = new java.util.LinkedHashMap<>();
        Path file = conf.resolve(org.postroom.server.delivery.DeliverySettings.OPERATOR);
        try {
            org.postroom.server.delivery.DeliverySettings.read(conf.resolve(org.postroom.server.delivery.DeliverySettings.PRESETS), keys);
            org.postroom.server.delivery.DeliverySettings.read(file, keys);
            org.postroom.server.delivery.DeliverySettings.parse(keys, "check.invalid");
        } catch (IllegalArgumentException e) {
            problems.add(new Problem(file, 0, e.getMessage()));
        }
    }

    private void requireReadableFile(Path settingsFile, String key, String value) {
        if (value.isEmpty()) {
            return;
        }
        Path named = installation.resolve(value);
        if (!Files.exists(named)) {
            problems.add(new Problem(settingsFile, 0, key + "=" + value + ": " + named + " does not exist"));
        } else if (!Files.isRegularFile(named)) {
            problems.add(new Problem(settingsFile, 0, key + "=" + value + ": " + named + " is not a file"));
        } else if (!Files.isReadable(named)) {
            problems.add(new Problem(settingsFile, 0, key + "=" + value + ": " + named + " is not readable"));
        }
    }

    private void checkXml(Path file) {
        List<Problem> found = new ArrayList<>();
        try {
            DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
            factory.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
            factory.setExpandEntityReferences(false);
            DocumentBuilder builder = factory.newDocumentBuilder();
            builder.setErrorHandler(new ErrorHandler() {
                @Override
                public void warning(SAXParseException e) {
                }

                @Override
                public void error(SAXParseException e) {
                    found.add(new Problem(file, e.getLineNumber(), "invalid XML: " + e.getMessage()));
                }

                @Override
                public void fatalError(SAXParseException e) throws SAXException {
                    throw e;
                }
            });
            builder.parse(file.toFile());
        } catch (SAXParseException e) {
            found.add(new Problem(file, e.getLineNumber(), "invalid XML: " + e.getMessage()));
        } catch (SAXException | IOException | ParserConfigurationException e) {
            found.add(new Problem(file, 0, "cannot parse: " + e.getMessage()));
        }
        problems.addAll(found);
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return;
        }
        String withoutComments = blankComments(text);
        checkReferences(file, withoutComments);
        if (found.isEmpty()) {
            checkClasses(file, withoutComments);
        }
    }

    private void checkProperties(Path file) {
        try {
            load(file);
        } catch (IOException | IllegalArgumentException e) {
            problems.add(new Problem(file, 0, "cannot read: " + e.getMessage()));
            return;
        }
        try {
            checkReferences(file, Files.readString(file, StandardCharsets.ISO_8859_1));
        } catch (IOException e) {
            problems.add(new Problem(file, 0, "cannot read: " + e.getMessage()));
        }
    }

    /** Every ${sys:NAME} must name a setting or a value the server computes, else James gets the literal text. */
    private void checkReferences(Path file, String text) {
        Set<String> known = new HashSet<>(PostroomSettings.knownKeys());
        known.addAll(COMPUTED_PROPERTIES);
        String[] lines = text.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            Matcher matcher = SYSTEM_REFERENCE.matcher(lines[i]);
            while (matcher.find()) {
                if (!known.contains(matcher.group(1))) {
                    problems.add(new Problem(file, i + 1, "${sys:" + matcher.group(1) + "} names no Postroom setting"));
                }
            }
        }
    }

    private void checkClasses(Path file, String text) {
        boolean mailetContainer = file.getFileName().toString().equals("mailetcontainer.xml");
        Set<String> namedMatchers = new HashSet<>();
        Matcher names = MATCHER_NAME.matcher(text);
        while (names.find()) {
            namedMatchers.add(names.group(1));
        }
        String[] lines = text.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            Matcher classes = CLASS_ATTRIBUTE.matcher(lines[i]);
            while (classes.find()) {
                String element = classes.group(1);
                String name = classes.group(2).trim();
                List<String> packages = mailetContainer && element.equals("mailet") ? MAILET_PACKAGES : List.of("");
                if (!loadable(name, packages)) {
                    problems.add(new Problem(file, i + 1, "class " + name + " of <" + element + "> is not on the"
                        + " classpath (misspelt, or its jar is missing from lib/)"));
                }
            }
            if (mailetContainer) {
                Matcher matches = MATCH_ATTRIBUTE.matcher(lines[i]);
                while (matches.find()) {
                    String name = matches.group(1).split("=", 2)[0].trim();
                    if (namedMatchers.contains(name) || name.contains("(")) {
                        continue;
                    }
                    if (!loadable(name, MATCHER_PACKAGES)) {
                        problems.add(new Problem(file, i + 1, "matcher " + name + " is neither a matcher class on the"
                            + " classpath nor a <matcher name=...> of this file"));
                    }
                }
            }
        }
    }

    private static boolean loadable(String name, List<String> packages) {
        if (name.isEmpty()) {
            return false;
        }
        ClassLoader loader = ConfigCheck.class.getClassLoader();
        for (String prefix : packages) {
            try {
                Class.forName(prefix + name, false, loader);
                return true;
            } catch (ClassNotFoundException | LinkageError e) {
                // try the next package
            }
        }
        return false;
    }

    /** The admin API must never answer without a token. */
    private void checkAdminApi() {
        Path file = conf.resolve("webadmin.properties");
        if (!Files.isRegularFile(file)) {
            return;
        }
        try {
            Properties webadmin = load(file);
            boolean enabled = Boolean.parseBoolean(webadmin.getProperty("enabled", "false").trim());
            boolean jwt = Boolean.parseBoolean(webadmin.getProperty("jwt.enabled", "false").trim());
            if (enabled && !jwt) {
                problems.add(new Problem(file, 0, "jwt.enabled must be true: without it the admin API answers"
                    + " anyone who can connect"));
            }
        } catch (IOException | IllegalArgumentException e) {
            // reported by checkProperties
        }
    }

    private static Properties load(Path file) throws IOException {
        Properties properties = new Properties();
        try (InputStream in = Files.newInputStream(file)) {
            properties.load(in);
        }
        return properties;
    }

    /** Replaces comments by as many line breaks as they span, so that line numbers stay right. */
    private static String blankComments(String text) {
        Matcher matcher = COMMENT.matcher(text);
        StringBuilder result = new StringBuilder();
        while (matcher.find()) {
            String newlines = matcher.group().chars().filter(c -> c == '\n')
                .mapToObj(c -> "\n").collect(Collectors.joining());
            matcher.appendReplacement(result, Matcher.quoteReplacement(newlines));
        }
        matcher.appendTail(result);
        return result.toString();
    }

    private String json() {
        StringBuilder json = new StringBuilder();
        json.append("{\"conf\":").append(quote(conf.toString()))
            .append(",\"valid\":").append(problems.isEmpty())
            .append(",\"filesChecked\":").append(filesChecked)
            .append(",\"problems\":[");
        for (int i = 0; i < problems.size(); i++) {
            Problem problem = problems.get(i);
            json.append(i == 0 ? "" : ",")
                .append("{\"file\":").append(quote(problem.file().toString()))
                .append(",\"line\":").append(problem.line() > 0 ? String.valueOf(problem.line()) : "null")
                .append(",\"message\":").append(quote(problem.message())).append('}');
        }
        return json.append("]}").toString();
    }

    private static String quote(String text) {
        StringBuilder quoted = new StringBuilder("\"");
        for (char c : text.toCharArray()) {
            switch (c) {
                case '"' -> quoted.append("\\\"");
                case '\\' -> quoted.append("\\\\");
                case '\n' -> quoted.append("\\n");
                case '\r' -> quoted.append("\\r");
                case '\t' -> quoted.append("\\t");
                default -> {
                    if (c < 0x20) {
                        quoted.append(String.format("\\u%04x", (int) c));
                    } else {
                        quoted.append(c);
                    }
                }
            }
        }
        return quoted.append('"').toString();
    }
}
