package org.postroom.server.admin;

import static spark.Spark.halt;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;

import org.apache.james.webadmin.authentication.AuthenticationFilter;
import org.eclipse.jetty.http.HttpStatus;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import spark.Request;
import spark.Response;

/**
 * The admin API's authentication: James's JWT check (RS256 signature with {@code var/admin/jwt-public.pem},
 * {@code "admin": true}, {@code exp} honoured when present), then Postroom's: the token must carry an {@code exp}
 * claim, at most {@value #MAX_LIFETIME_HOURS} hours ahead, so a token that leaks stops working. James accepts a
 * token without {@code exp} forever.
 */
public final class RequireExpiringToken implements AuthenticationFilter {
    static final long MAX_LIFETIME_HOURS = 24;
    private static final Duration MAX_LIFETIME = Duration.ofHours(MAX_LIFETIME_HOURS);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final AuthenticationFilter signatureCheck;
    private final Clock clock;

    public RequireExpiringToken(AuthenticationFilter signatureCheck, Clock clock) {
        this.signatureCheck = signatureCheck;
        this.clock = clock;
    }

    @Override
    public void handle(Request request, Response response) throws Exception {
        signatureCheck.handle(request, response);
        if (request.requestMethod().equals("OPTIONS")) {
            return;
        }
        String header = request.headers("Authorization");
        String problem = problem(header == null ? "" : header.substring(Math.min(header.length(), "Bearer ".length())));
        if (problem != null) {
            halt(HttpStatus.UNAUTHORIZED_401, problem);
        }
    }

    /** Why a (signature-checked) token is refused, or null. */
    String problem(String token) {
        String[] parts = token.split("\\.");
        if (parts.length != 3) {
            return "Invalid Bearer header.";
        }
        JsonNode claims;
        try {
            claims = JSON.readTree(new String(Base64.getUrlDecoder().decode(parts[1]), StandardCharsets.UTF_8));
        } catch (Exception e) {
            return "Invalid Bearer header.";
        }
        JsonNode exp = claims == null ? null : claims.get("exp");
        if (exp == null || !exp.isIntegralNumber()) {
            return "Token without exp claim refused.";
        }
        long now = clock.instant().getEpochSecond();
        if (exp.asLong() <= now) {
            return "Token expired.";
        }
        if (exp.asLong() - now > MAX_LIFETIME.toSeconds()) {
            return "Token lifetime over " + MAX_LIFETIME_HOURS + " hours refused.";
        }
        return null;
    }
}
