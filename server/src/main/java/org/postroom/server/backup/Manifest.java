package org.postroom.server.backup;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * {@code manifest.json} of a backup folder, written last: a folder without it is an unfinished backup. It names
 * every file of the backup with its size and SHA-256, the counts of what the backup holds (see
 * {@link StoreCounts}), the database kind, and the files outside the installation that the configuration names.
 * <pre>{@code
 * {"format": 1, "postroomVersion": "0.1.0", "createdAt": "2026-05-01T10:00:00Z", "hostname": "mail.example.org",
 *  "home": "/opt/postroom", "database": {"kind": "derby", "folder": "database/derby"},
 *  "searchIndex": "rebuilt at the first start after restore", "queuePauseMillis": 41,
 *  "counts": {"users": 12, "domains": 2, ..., "dkimKeys": 2, "queuedMails": 3},
 *  "external": {"postroom.relayhost.password.file": "/etc/postroom/relay-password"},
 *  "files": {"conf/postroom.properties": {"size": 5123, "sha256": "..."}, ...}}
 * }</pre>
 */
final class Manifest {
    static final String FILE = "manifest.json";
    static final int FORMAT = 1;
    static final String DERBY_FOLDER = "database/derby";
    static final String QUEUE_FOLDER = "queue";
    static final String CONF_FOLDER = "conf";
    static final String VAR_FOLDER = "var";
    static final String EXTERNAL_FOLDER = "external";
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /** One file of the backup. */
    record Entry(long size, String sha256) {
    }

    final ObjectNode root;

    Manifest(ObjectNode root) {
        this.root = root;
    }

    static Manifest create() {
        ObjectNode root = JSON.createObjectNode();
        root.put("format", FORMAT);
        return new Manifest(root);
    }

    /** Reads DIR/manifest.json; a missing or unreadable one is an incomplete or damaged backup. */
    static Manifest read(Path backup) throws BackupException {
        Path file = backup.resolve(FILE);
        if (!Files.isDirectory(backup)) {
            throw new BackupException(backup + " is not a folder");
        }
        if (!Files.isRegularFile(file)) {
            throw new BackupException("incomplete backup: " + backup + " has no " + FILE + " (a backup that did not"
                + " finish has none)");
        }
        JsonNode node;
        try {
            node = JSON.readTree(Files.readAllBytes(file));
        } catch (IOException e) {
            throw new BackupException("corrupt backup: " + file + " is not readable JSON (" + e.getMessage()
                .lines().findFirst().orElse("") + ")");
        }
        if (!(node instanceof ObjectNode object) || !object.path("files").isObject() || !object.path("counts").isObject()) {
            throw new BackupException("corrupt backup: " + file + " lacks its file list or counts");
        }
        if (object.path("format").asInt(-1) != FORMAT) {
            throw new BackupException("unknown backup format " + object.path("format") + " in " + file
                + " (this Postroom reads format " + FORMAT + ")");
        }
        return new Manifest(object);
    }

    void write(Path backup) throws IOException {
        BackupFiles.writeAtomically(backup.resolve(FILE), JSON.writeValueAsBytes(root));
    }

    Map<String, Entry> files() {
        Map<String, Entry> files = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.path("files").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> file = it.next();
            files.put(file.getKey(), new Entry(file.getValue().path("size").asLong(-1),
                file.getValue().path("sha256").asText("")));
        }
        return files;
    }

    void putFile(String path, long size, String sha256) {
        ObjectNode entry = root.with("files").putObject(path);
        entry.put("size", size);
        entry.put("sha256", sha256);
    }

    /** Count name to value; null where the backup cannot count (a database it does not hold). */
    Map<String, Long> counts() {
        Map<String, Long> counts = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.path("counts").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> count = it.next();
            counts.put(count.getKey(), count.getValue().isNull() ? null : count.getValue().asLong());
        }
        return counts;
    }

    void putCounts(Map<String, Long> counts) {
        ObjectNode node = root.putObject("counts");
        counts.forEach((name, value) -> {
            if (value == null) {
                node.putNull(name);
            } else {
                node.put(name, value);
            }
        });
    }

    Map<String, String> external() {
        Map<String, String> external = new LinkedHashMap<>();
        root.path("external").fields().forEachRemaining(entry -> external.put(entry.getKey(), entry.getValue().asText()));
        return external;
    }

    String databaseKind() {
        return root.path("database").path("kind").asText("derby");
    }

    String text(String field) {
        return root.path(field).asText("");
    }

    String json() {
        try {
            return JSON.writeValueAsString(root);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
