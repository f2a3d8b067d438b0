package org.postroom.server.reports;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import org.postroom.server.data.DurableFiles;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * One JSON file per UTC day in a folder ({@code DAY.json}), written durably ({@link DurableFiles}), renamed {@code DAY.json.sent} once
 * its reports went out: the storage of the daily report counters (TLS-RPT, DMARC aggregate reports).
 */
public final class DayFiles {
    private static final Logger LOGGER = LoggerFactory.getLogger(DayFiles.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path folder;

    public DayFiles(Path folder) {
        this.folder = folder;
    }

    public Path file(LocalDate day) {
        return folder.resolve(day + ".json");
    }

    public void write(LocalDate day, JsonNode content) throws IOException {
        Files.createDirectories(folder);
        DurableFiles.write(file(day), JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(content));
    }

    public Optional<JsonNode> read(LocalDate day) {
        Path file = file(day);
        if (!Files.exists(file)) {
            return Optional.empty();
        }
        try {
            return Optional.of(JSON.readTree(file.toFile()));
        } catch (IOException e) {
            LOGGER.warn("{} unreadable: {}", file, e.toString());
            return Optional.empty();
        }
    }

    /** Days before {@code today} whose file is not reported yet, oldest first. */
    public List<LocalDate> before(LocalDate today) {
        List<LocalDate> found = new ArrayList<>();
        if (!Files.isDirectory(folder)) {
            return found;
        }
        try (DirectoryStream<Path> files = Files.newDirectoryStream(folder, "????-??-??.json")) {
            for (Path file : files) {
                LocalDate day = LocalDate.parse(file.getFileName().toString().substring(0, 10));
                if (day.isBefore(today)) {
                    found.add(day);
                }
            }
        } catch (IOException | RuntimeException e) {
            LOGGER.warn("cannot list {}: {}", folder, e.toString());
        }
        found.sort(null);
        return found;
    }

    /** Marks a day as reported: its file becomes {@code DAY.json.sent} (kept for the postmaster). */
    public void reported(LocalDate day) throws IOException {
        Path file = file(day);
        if (Files.exists(file)) {
            Files.move(file, file.resolveSibling(file.getFileName() + ".sent"), StandardCopyOption.REPLACE_EXISTING);
        }
    }
}
