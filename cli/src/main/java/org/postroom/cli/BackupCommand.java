package org.postroom.cli;

import java.nio.file.Path;
import java.util.Iterator;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

@Command(name = "backup",
    header = "Back up the running server: database, mail queues, list journal, keys, secrets, conf/.",
    description = {
        "Takes a consistent backup while the server runs and mail keeps flowing, into DIR (a new folder, or an "
            + "empty one; the server's user must be able to create it): the mail queues and the list post journal "
            + "copied while queue writes pause for a moment, then the database with Derby's online backup, then DKIM "
            + "keys, secrets (var/secrets, var/admin, var/tls), sieve scripts, conf/ and files outside the "
            + "installation that the settings name (smarthost password, TLS certificate and key). Every folder is "
            + "0700 and every file 0600. The search index is not copied: it is rebuilt at the first start after a "
            + "restore. DIR/manifest.json, written last, lists every file with its SHA-256 and counts what the backup "
            + "holds (users, domains, mailboxes, messages, lists, members, DKIM keys, queued mails), which "
            + "'postroom restore' checks.",
        "With a PostgreSQL database the command says to back it up with pg_dump, and backs up everything else."},
    footerHeading = "%nExamples:%n",
    footer = {
        "  postroom backup /var/backups/postroom/$(date +%F)",
        "  postroom backup /srv/backup/postroom-1 --json | python3 -m json.tool"})
final class BackupCommand extends Action {
    static final String PATH = "/postroom/backups";
    private static final long POLL_MILLIS = 300;

    @Parameters(paramLabel = "DIR", description = "The folder to write the backup into: new, or empty.")
    String directory;

    @Mixin
    JsonOption output;

    BackupCommand(Session session) {
        super(session);
    }

    @Override
    public Integer call() throws Exception {
        Path target = Path.of(directory).toAbsolutePath().normalize();
        ObjectNode request = session.json.createObjectNode().put("directory", target.toString());
        AdminApi.Response started = api().send("POST", PATH, session.json.writeValueAsString(request));
        if (!started.ok()) {
            throw CliException.failure("cannot back up into " + target + ": " + started.message());
        }
        String id = started.json().path("id").asText();
        String lastStep = "";
        JsonNode job = started.json();
        while ("running".equals(job.path("state").asText())) {
            String step = job.path("step").asText();
            if (!output.json && !step.equals(lastStep)) {
                session.err.println("backup: " + step);
                lastStep = step;
            }
            Thread.sleep(POLL_MILLIS);
            job = requireJson(api().get(PATH + "/" + AdminApi.segment(id)), "follow backup " + id);
        }
        if (!"done".equals(job.path("state").asText())) {
            throw CliException.failure("backup into " + target + " failed: " + job.path("error").asText("unknown error")
                + " (the unfinished folder was removed; details in var/log/postroom.log)");
        }
        if (output.json) {
            session.printJson(job);
            return CliException.OK;
        }
        session.out.println("backup written to " + job.path("directory").asText() + ": " + job.path("files").asLong()
            + " files, " + megabytes(job.path("bytes").asLong()) + ", queue writes paused "
            + job.path("queuePauseMillis").asLong() + " ms");
        Table counts = Table.withoutHeader(2);
        for (Iterator<Map.Entry<String, JsonNode>> it = job.path("counts").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> count = it.next();
            counts.add(count.getKey(), count.getValue().isNull() ? "(not in this backup)" : count.getValue().asText());
        }
        counts.print(session.out);
        JsonNode database = job.path("database");
        if (!"derby".equals(database.path("kind").asText("derby"))) {
            session.out.println("NOTE: " + database.path("note").asText());
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = job.path("external").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> file = it.next();
            session.out.println("included " + file.getValue().asText() + " (" + file.getKey() + ")");
        }
        return CliException.OK;
    }

    static String megabytes(long bytes) {
        return String.format(java.util.Locale.ROOT, "%.1f MB", bytes / 1_000_000.0);
    }
}
