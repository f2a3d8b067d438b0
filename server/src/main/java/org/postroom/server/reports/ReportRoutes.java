package org.postroom.server.reports;

import java.util.List;
import java.util.Locale;

import javax.inject.Inject;

import org.apache.james.webadmin.Routes;
import org.apache.james.webadmin.utils.JsonTransformer;
import org.postroom.server.admin.ApiErrors;

import com.fasterxml.jackson.databind.JsonNode;

import spark.Request;
import spark.Response;
import spark.Service;

/**
 * The reports other organizations sent about our domains, behind {@code postroom report}: {@code GET
 * /postroom/reports[?kind=tls|dmarc&domain=D]} lists their summaries, newest first; {@code GET /postroom/reports/ID}
 * shows one, with its failures (TLS) or its sources (DMARC).
 */
public class ReportRoutes implements Routes {
    public static final String BASE_PATH = "/postroom/reports";

    private final ReceivedReports reports;
    private final JsonTransformer json = new JsonTransformer();

    @Inject
    public ReportRoutes(ReceivedReports reports) {
        this.reports = reports;
    }

    @Override
    public String getBasePath() {
        return BASE_PATH;
    }

    @Override
    public void define(Service service) {
        service.get(BASE_PATH, this::list, json);
        service.get(BASE_PATH + "/:id", this::show, json);
    }

    private Object list(Request request, Response response) {
        String kind = request.queryParams("kind");
        if (kind != null && !kind.matches("tls|dmarc")) {
            throw ApiErrors.badRequest("kind must be tls or dmarc, got '" + kind + "'");
        }
        String domain = request.queryParams("domain");
        List<JsonNode> all = reports.list().stream()
            .filter(report -> kind == null || report.path("kind").asText().equals(kind))
            .filter(report -> domain == null || report.path("domain").asText().equalsIgnoreCase(domain.strip().toLowerCase(Locale.ROOT)))
            .toList();
        return all;
    }

    private Object show(Request request, Response response) {
        String id = request.params("id");
        return reports.get(id).orElseThrow(() -> ApiErrors.notFound("no report " + id + " (postroom report list shows the ids)"));
    }
}
