package org.postroom.server.backup;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;
import java.util.Properties;

import org.postroom.server.PostroomSettings;

/**
 * The database an installation keeps its data in, by JDBC URL: embedded Derby (what Postroom ships, backed up
 * online with Derby's own backup) or a database server such as PostgreSQL, which its own tools back up
 * ({@code pg_dump}): Postroom then backs up everything else.
 */
record Database(String url) {
    /** A Postroom setting naming the database, for installations whose PostgreSQL support defines it. */
    static final String SETTING = "postroom.database.url";
    static final String HOME_REFERENCE = "${sys:postroom.home}";

    /**
     * The installation's database: {@code postroom.database.url} when Postroom knows that setting and it is set,
     * else {@code database.url} of {@code conf/james-database.properties} ({@code jamesUrl}, already interpolated
     * or not).
     */
    static Database of(Optional<String> postroomSetting, String jamesUrl) {
        return new Database(postroomSetting.filter(url -> !url.isBlank()).orElse(jamesUrl == null ? "" : jamesUrl).trim());
    }

    /** The same, read from the files of {@code conf} (restore runs with the server stopped). */
    static Database ofConf(Path conf) throws IOException {
        Properties james = properties(conf.resolve("james-database.properties"));
        Optional<String> setting = Optional.empty();
        if (PostroomSettings.knownKeys().contains(SETTING)) {
            setting = Optional.ofNullable(System.getProperty(SETTING,
                properties(conf.resolve(PostroomSettings.FILE_NAME)).getProperty(SETTING)));
        }
        return of(setting, james.getProperty("database.url"));
    }

    boolean derby() {
        return url.startsWith("jdbc:derby:");
    }

    boolean postgresql() {
        return url.toLowerCase(Locale.ROOT).startsWith("jdbc:postgresql:");
    }

    /** "derby", "postgresql" or "external" (any other database server). */
    String kind() {
        return derby() ? "derby" : postgresql() ? "postgresql" : "external";
    }

    /** The folder of an embedded Derby database: the URL's path, relative ones under the installation. */
    Path derbyFolder(Path home) {
        String path = url.substring("jdbc:derby:".length());
        int attributes = path.indexOf(';');
        if (attributes >= 0) {
            path = path.substring(0, attributes);
        }
        if (path.startsWith("directory:")) {
            path = path.substring("directory:".length());
        }
        path = path.replace(HOME_REFERENCE, home.toString());
        return home.resolve(path).normalize();
    }

    /** The URL without credentials or options, for messages. */
    String shown() {
        String shown = url.replaceAll("(?i)(password|user)=[^;&]*", "$1=...");
        int query = shown.indexOf('?');
        return query >= 0 ? shown.substring(0, query) : shown;
    }

    /** What the operator does for a database Postroom does not back up itself. */
    String advice() {
        if (postgresql()) {
            return "the database is PostgreSQL (" + shown() + "): back it up with pg_dump (e.g. pg_dump -Fc -f"
                + " postroom.dump DBNAME) at the same time; this backup holds everything else";
        }
        return "the database is not embedded Derby (" + shown() + "): back it up with its own tools at the same time;"
            + " this backup holds everything else";
    }

    private static Properties properties(Path file) throws IOException {
        Properties properties = new Properties();
        if (Files.isRegularFile(file)) {
            try (InputStream in = Files.newInputStream(file)) {
                properties.load(in);
            }
        }
        return properties;
    }
}
