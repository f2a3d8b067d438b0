package org.postroom.server.admin;

import java.util.LinkedHashMap;
import java.util.Map;

import javax.inject.Inject;

import org.apache.james.webadmin.Routes;
import org.apache.james.webadmin.utils.JsonTransformer;
import org.eclipse.jetty.http.HttpStatus;
import org.postroom.server.login.LoginThrottle;

import spark.Request;
import spark.Response;
import spark.Service;

/**
 * The failed-login bans, for {@code postroom ban}: {@code GET /postroom/bans} lists the addresses (IPv6: /64
 * networks) and accounts refused now; {@code DELETE /postroom/bans/{address or account}} lifts one (404 when it is
 * neither banned nor counted). The bans live in the server's memory only.
 */
public class BanRoutes implements Routes {
    public static final String BASE_PATH = "/postroom/bans";

    private final LoginThrottle throttle;
    private final JsonTransformer json;

    @Inject
    public BanRoutes(LoginThrottle throttle, JsonTransformer json) {
        this.throttle = throttle;
        this.json = json;
    }

    @Override
    public String getBasePath() {
        return BASE_PATH;
    }

    @Override
    public void define(Service service) {
        service.get(BASE_PATH, (request, response) -> throttle.bans().stream().map(BanRoutes::toJson).toList(), json);
        service.delete(BASE_PATH + "/:target", this::lift);
    }

    private Object lift(Request request, Response response) {
        String target = request.params("target");
        if (target == null || target.isBlank() || target.length() > 320 || target.chars().anyMatch(c -> c < 0x21)) {
            throw ApiErrors.badRequest("an address or an account is expected");
        }
        if (!throttle.lift(target)) {
            throw ApiErrors.notFound(target + " is not banned");
        }
        response.status(HttpStatus.NO_CONTENT_204);
        return "";
    }

    static Map<String, Object> toJson(LoginThrottle.Ban ban) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("kind", ban.kind());
        json.put(ban.kind(), ban.key());
        json.put("until", ban.until().toString());
        json.put("bans", ban.offences());
        json.put("recentFailures", ban.recentFailures());
        return json;
    }
}
