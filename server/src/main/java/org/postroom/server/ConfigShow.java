package org.postroom.server;

import java.io.IOException;
import java.io.PrintStream;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

/**
 * Prints the effective settings, like {@code postconf -n}: by default those whose value differs from Postroom's
 * default, one {@code key = value} line each; with {@code --all} every setting with its default and where its value
 * comes from: a line of {@code conf/postroom.properties}, a JVM system property ({@code -Dkey=value} in
 * {@code JAVA_OPTS}, which overrides the file, as at the server's start), or the default. Values are shown as written;
 * settings that name secret files ({@code postroom.relayhost.password.file}, {@code postroom.tls.key}) show the path,
 * and nothing here ever reads those files.
 *
 * <p>Outbound delivery's keys follow ({@code destination.*}, {@code pool.*}, {@code backoff.*}): those of
 * {@code conf/delivery.properties}, the operator's file, differ when their value is not the one
 * {@code conf/destinations.properties} (the shipped presets) or the built-in default gives the same key; with
 * {@code --all} the presets are listed too, each with the line that sets it.
 *
 * <p>Run by {@code postroom config show} in a separate JVM on the server's {@code lib/}, with the command's own
 * {@code -Dpostroom.*} overrides: {@code java -cp 'lib/*' org.postroom.server.ConfigShow [--all] [--json] [CONF_DIR]}.
 * Exit codes: 0 shown, 1 the file cannot be read, 2 usage error.
 */
public final class ConfigShow {
    static final String DEFAULT_SOURCE = "default";
    private static final List<String> NOT_SETTINGS = List.of(PostroomHome.PROPERTY, "postroom.install");

    /** One setting: its effective value, its default, where the value comes from, and whether Postroom knows it. */
    public record Setting(String key, String value, String defaultValue, String source, boolean known) {
        boolean differs() {
            return !known || !value.equals(defaultValue);
        }
    }

    private ConfigShow() {
    }

    public static void main(String[] args) {
        System.exit(run(System.out, System.err, overrides(System.getProperties()), args));
    }

    /** The {@code postroom.*} system properties that override settings. */
    static Map<String, String> overrides(Properties system) {
        Map<String, String> overrides = new TreeMap<>();
        for (String key : system.stringPropertyNames()) {
            if (key.startsWith("postroom.") && !NOT_SETTINGS.contains(key)) {
                overrides.put(key, system.getProperty(key));
            }
        }
        return overrides;
    }

    public static int run(PrintStream out, PrintStream err, Map<String, String> overrides, String... args) {
        boolean all = false;
        boolean json = false;
        Path conf = null;
        for (String arg : args) {
            if (arg.equals("--all")) {
                all = true;
            } else if (arg.equals("--json")) {
                json = true;
            } else if (arg.startsWith("-") || conf != null) {
                err.println("ERROR: usage: ConfigShow [--all] [--json] [CONF_DIR]");
                return 2;
            } else {
                conf = Path.of(arg);
            }
        }
        Path folder = conf != null ? conf : PostroomHome.locate().conf();
        List<Setting> settings;
        try {
            settings = settings(folder, overrides);
        } catch (IOException e) {
            // postroom.properties, delivery.properties or destinations.properties: the exception names the file.
            err.println("ERROR: cannot read the configuration in " + folder + ": " + e);
            return 1;
        }
        List<Setting> shown = all ? settings : settings.stream().filter(Setting::differs).toList();
        if (json) {
            out.println(json(shown));
        } else if (all) {
            printAll(out, shown);
        } else {
            shown.forEach(setting -> out.println(setting.key() + " = " + setting.value()));
        }
        for (Setting setting : settings) {
            if (!setting.known()) {
                err.println("WARNING: " + setting.key() + " (" + setting.source() + ") is not a Postroom setting:"
                    + " the server refuses to start with it (postroom config check)");
            }
        }
        return 0;
    }

    /**
     * Every setting Postroom knows, sorted by name, with its value from the file or an override, then the unknown
     * keys of the file (or unknown overrides) the server would refuse.
     */
    public static List<Setting> settings(Path conf, Map<String, String> overrides) throws IOException {
        Keys file = Keys.read(conf, PostroomSettings.FILE_NAME);
        Properties values = file.values;
        Map<String, String> defaults = PostroomSettings.defaults();
        TreeMap<String, Setting> settings = new TreeMap<>();
        for (Map.Entry<String, String> known : defaults.entrySet()) {
            String key = known.getKey();
            String source = DEFAULT_SOURCE;
            String value = known.getValue();
            if (overrides.containsKey(key)) {
                value = overrides.get(key);
                source = "-D" + key + " (JAVA_OPTS)";
            } else if (values.containsKey(key)) {
                value = values.getProperty(key);
                source = file.source(key);
            }
            settings.put(key, new Setting(key, value.trim(), known.getValue(), source, true));
        }
        List<Setting> result = new ArrayList<>(settings.values());
        TreeMap<String, Setting> unknown = new TreeMap<>();
        for (String key : values.stringPropertyNames()) {
            if (!defaults.containsKey(key)) {
                unknown.put(key, new Setting(key, values.getProperty(key).trim(), "", file.source(key), false));
            }
        }
        for (String key : overrides.keySet()) {
            if (!defaults.containsKey(key) && !unknown.containsKey(key)) {
                unknown.put(key, new Setting(key, overrides.get(key).trim(), "", "-D" + key + " (JAVA_OPTS)", false));
            }
        }
        result.addAll(unknown.values());
        result.addAll(deliverySettings(conf));
        return result;
    }

    /** Built-in values of the delivery keys that have one when neither delivery file sets them. */
    private static final Map<String, String> DELIVERY_DEFAULTS = Map.of("backoff.initial", "1m", "backoff.max", "1h");

    /**
     * The keys of conf/destinations.properties and conf/delivery.properties, by name: the operator's file wins key by
     * key, as the server reads them; its value's default is the preset's, or the built-in one.
     */
    static List<Setting> deliverySettings(Path conf) throws IOException {
        Keys presets = Keys.read(conf, org.postroom.server.delivery.DeliverySettings.PRESETS);
        Keys operator = Keys.read(conf, org.postroom.server.delivery.DeliverySettings.OPERATOR);
        TreeMap<String, Setting> settings = new TreeMap<>();
        for (String key : presets.values.stringPropertyNames()) {
            String value = presets.values.getProperty(key).trim();
            settings.put(key, new Setting(key, value, value, presets.source(key), true));
        }
        for (String key : operator.values.stringPropertyNames()) {
            String preset = presets.values.getProperty(key);
            String defaultValue = preset != null ? preset.trim() : DELIVERY_DEFAULTS.getOrDefault(key, "");
            settings.put(key, new Setting(key, operator.values.getProperty(key).trim(), defaultValue, operator.source(key), true));
        }
        return new ArrayList<>(settings.values());
    }

    /** One properties file of conf/ with the line of each key (empty when there is no such file). */
    private record Keys(Properties values, Map<String, Integer> lines, String shownFile) {
        static Keys read(Path conf, String name) throws IOException {
            Path file = conf.resolve(name);
            Properties values = new Properties();
            Map<String, Integer> lines = Map.of();
            if (Files.isRegularFile(file)) {
                String text = Files.readString(file, StandardCharsets.ISO_8859_1);
                values.load(new StringReader(text));
                lines = lineNumbers(text);
            }
            return new Keys(values, lines, conf.getFileName() == null ? file.toString() : conf.getFileName() + "/" + name);
        }

        String source(String key) {
            return shownFile + ":" + lines.getOrDefault(key, 0);
        }
    }

    /**
     * The line on which each key is set (its last occurrence, which is the one that counts): the file is read as
     * {@link Properties} reads it, one logical line at a time, so continuation lines, comments and escapes in keys
     * are handled by the JDK's own parser.
     */
    static Map<String, Integer> lineNumbers(String text) throws IOException {
        List<String> physical = text.lines().toList();
        Map<String, Integer> lines = new HashMap<>();
        int index = 0;
        while (index < physical.size()) {
            int start = index;
            String first = physical.get(index).stripLeading();
            index++;
            if (first.isEmpty() || first.startsWith("#") || first.startsWith("!")) {
                continue;
            }
            while (continues(physical.get(index - 1)) && index < physical.size()) {
                index++;
            }
            Properties one = new Properties();
            one.load(new StringReader(String.join("\n", physical.subList(start, index))));
            for (String key : one.stringPropertyNames()) {
                lines.put(key, start + 1);
            }
        }
        return lines;
    }

    /** A line ending in an odd number of backslashes continues on the next one. */
    private static boolean continues(String line) {
        int backslashes = 0;
        for (int i = line.length() - 1; i >= 0 && line.charAt(i) == '\\'; i--) {
            backslashes++;
        }
        return backslashes % 2 == 1;
    }

    private static void printAll(PrintStream out, List<Setting> settings) {
        int keyWidth = "SETTING".length();
        int valueWidth = "VALUE".length();
        int defaultWidth = "DEFAULT".length();
        for (Setting setting : settings) {
            keyWidth = Math.max(keyWidth, setting.key().length());
            valueWidth = Math.max(valueWidth, shown(setting.value()).length());
            defaultWidth = Math.max(defaultWidth, shown(setting.defaultValue()).length());
        }
        String format = "%-" + keyWidth + "s  %-" + valueWidth + "s  %-" + defaultWidth + "s  %s%n";
        out.printf(format, "SETTING", "VALUE", "DEFAULT", "SET IN");
        for (Setting setting : settings) {
            out.printf(format, setting.key(), shown(setting.value()),
                setting.known() ? shown(setting.defaultValue()) : "(unknown setting)", setting.source());
        }
    }

    private static String shown(String value) {
        return value.isEmpty() ? "(empty)" : value;
    }

    private static String json(List<Setting> settings) {
        List<Map<String, Object>> rows = new ArrayList<>();
        for (Setting setting : settings) {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("key", setting.key());
            row.put("value", setting.value());
            row.put("default", setting.known() ? setting.defaultValue() : null);
            row.put("source", setting.source());
            row.put("known", setting.known());
            rows.add(row);
        }
        try {
            return new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(rows);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
