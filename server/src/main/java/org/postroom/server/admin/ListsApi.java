package org.postroom.server.admin;

import java.io.IOException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Locale;
import java.util.Optional;

import javax.mail.internet.AddressException;

import org.apache.james.core.MailAddress;
import org.postroom.lists.Change;
import org.postroom.lists.ChangeMethod;
import org.postroom.lists.ListStore;
import org.postroom.lists.MailingList;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import spark.Request;

/** What the list, member, suppression and moderation routes share: parsing, lookups and error answers. */
final class ListsApi {
    static final ObjectMapper JSON = new ObjectMapper();

    private ListsApi() {
    }

    static MailAddress address(String text, String what) {
        if (text == null || text.isBlank()) {
            throw ApiErrors.badRequest(what + " is missing");
        }
        try {
            return new MailAddress(text.trim());
        } catch (AddressException e) {
            throw ApiErrors.badRequest("'" + text + "' is not a valid " + what);
        }
    }

    /** The list named by the {@code :list} path parameter, or 404. */
    static MailingList list(ListStore lists, Request request) {
        MailAddress address = address(request.params("list"), "list address");
        return lists.find(address).orElseThrow(() -> ApiErrors.notFound("no list " + address.asString()));
    }

    static JsonNode body(Request request) {
        String body = request.body();
        if (body == null || body.isBlank()) {
            return JSON.createObjectNode();
        }
        try {
            JsonNode node = JSON.readTree(body);
            if (node == null || !node.isObject()) {
                throw ApiErrors.badRequest("the request body must be a JSON object");
            }
            return node;
        } catch (IOException e) {
            throw ApiErrors.badRequest("the request body is not valid JSON");
        }
    }

    /** A CLI change, whose origin the request names ({@code "origin"} in the body), else "admin API". */
    static Change change(JsonNode body) {
        String origin = body.path("origin").asText("");
        origin = origin.isBlank() ? "admin API" : origin.strip();
        if (origin.length() > 200) {
            origin = origin.substring(0, 200);
        }
        return new Change(Instant.now().truncatedTo(ChronoUnit.MILLIS), ChangeMethod.CLI, Optional.of(origin));
    }

    static String lower(Enum<?> value) {
        return value.name().toLowerCase(Locale.ROOT);
    }

    static <E extends Enum<E>> E parse(Class<E> type, String text, String what) {
        try {
            return Enum.valueOf(type, text.trim().toUpperCase(Locale.ROOT).replace('-', '_'));
        } catch (IllegalArgumentException e) {
            StringBuilder allowed = new StringBuilder();
            for (E value : type.getEnumConstants()) {
                allowed.append(allowed.length() == 0 ? "" : "|").append(lower(value));
            }
            throw ApiErrors.badRequest("'" + text + "' is not a valid " + what + " (" + allowed + ")");
        }
    }
}
