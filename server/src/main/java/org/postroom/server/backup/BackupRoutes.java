package org.postroom.server.backup;

import java.io.IOException;
import java.util.Map;

import javax.inject.Inject;

import org.apache.james.webadmin.Routes;
import org.apache.james.webadmin.utils.JsonTransformer;
import org.eclipse.jetty.http.HttpStatus;
import org.postroom.server.admin.ApiErrors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import spark.Request;
import spark.Response;
import spark.Service;

/**
 * Online backups for {@code postroom backup}:
 * <ul>
 * <li>{@code POST /postroom/backups} with {@code {"directory": "/var/backups/postroom/2026-05-01"}} starts one
 * (202, its description); 400 when the folder is not absolute, exists and is not empty, lies inside conf/ or var/,
 * or cannot be created by the server's user; 409 while another backup runs;</li>
 * <li>{@code GET /postroom/backups/{id}}: its state ({@code running}, {@code done}, {@code failed}), the step it is
 * at, and once done the counts of its manifest; {@code GET /postroom/backups} lists the recent ones.</li>
 * </ul>
 * While a backup runs, requests that move mail from the database back into the queues (James's repository
 * {@code reprocess}, a moderation {@code approve}) are answered 409: the queues are copied before the database, so
 * such a mail could miss both copies.
 */
public class BackupRoutes implements Routes {
    public static final String BASE_PATH = "/postroom/backups";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Backups backups;
    private final JsonTransformer json;

    @Inject
    public BackupRoutes(Backups backups, JsonTransformer json) {
        this.backups = backups;
        this.json = json;
    }

    @Override
    public String getBasePath() {
        return BASE_PATH;
    }

    @Override
    public void define(Service service) {
        service.before((request, response) -> {
            if (backups.running() && movesMailIntoTheQueues(request.requestMethod(), request.pathInfo(),
                request.queryParams("action"))) {
                throw ApiErrors.conflict("a backup is running: mail is not moved from the database back"
                    + " into the queues until it ends (postroom backup shows its progress)");
            }
        });
        service.post(BASE_PATH, this::start, json);
        service.get(BASE_PATH, (request, response) -> backups.jobs().stream().map(BackupJob::describe).toList(), json);
        service.get(BASE_PATH + "/:id", (request, response) -> backups.job(request.params("id"))
            .map(BackupJob::describe)
            .orElseThrow(() -> ApiErrors.notFound("no backup " + request.params("id"))), json);
    }

    static boolean movesMailIntoTheQueues(String method, String path, String action) {
        if (path == null) {
            return false;
        }
        boolean reprocess = "PATCH".equalsIgnoreCase(method) && path.startsWith("/mailRepositories/")
            && "reprocess".equals(action);
        boolean approve = "POST".equalsIgnoreCase(method) && path.startsWith("/postroom/lists/")
            && path.contains("/moderation/") && path.endsWith("/approve");
        return reprocess || approve;
    }

    private Map<String, Object> start(Request request, Response response) {
        String directory;
        try {
            JsonNode body = JSON.readTree(request.body() == null || request.body().isBlank() ? "{}" : request.body());
            if (body == null || !body.isObject()) {
                throw ApiErrors.badRequest("the request body must be a JSON object");
            }
            directory = body.path("directory").isTextual() ? body.get("directory").asText() : null;
        } catch (IOException e) {
            throw ApiErrors.badRequest("the request body is not valid JSON");
        }
        try {
            BackupJob job = backups.start(directory);
            response.status(HttpStatus.ACCEPTED_202);
            return job.describe();
        } catch (Backups.Refused refused) {
            throw refused.conflict ? ApiErrors.conflict(refused.getMessage()) : ApiErrors.badRequest(refused.getMessage());
        }
    }

}
