package org.postroom.server.unsubscribe;

import java.io.IOException;
import java.nio.charset.StandardCharsets;

import javax.servlet.http.HttpServletResponse;

import org.postroom.lists.tokens.HtmlEscape;

/** The public listener's small HTML pages, with headers that keep browsers from doing anything clever with them. */
final class Pages {
    private Pages() {
    }

    static String html(String title, String bodyHtml) {
        return "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            + "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            + "<meta name=\"robots\" content=\"noindex\">\n"
            + "<title>" + HtmlEscape.escape(title) + "</title>\n"
            + "<style>body{font-family:sans-serif;max-width:36em;margin:3em auto;padding:0 1em;line-height:1.5}"
            + "button{font-size:1.1em;padding:0.4em 1.2em}</style>\n</head>\n<body>\n<h1>" + HtmlEscape.escape(title)
            + "</h1>\n" + bodyHtml + "\n</body>\n</html>\n";
    }

    static void write(HttpServletResponse response, int status, String title, String bodyHtml) throws IOException {
        byte[] bytes = html(title, bodyHtml).getBytes(StandardCharsets.UTF_8);
        response.setStatus(status);
        securityHeaders(response);
        response.setContentType("text/html; charset=utf-8");
        response.setContentLength(bytes.length);
        response.getOutputStream().write(bytes);
    }

    static void securityHeaders(HttpServletResponse response) {
        // One request per connection: nothing is kept alive that the connection lifetime limit could cut while a
        // client reuses it.
        response.setHeader("Connection", "close");
        response.setHeader("Cache-Control", "no-store");
        response.setHeader("X-Content-Type-Options", "nosniff");
        response.setHeader("X-Frame-Options", "DENY");
        response.setHeader("Referrer-Policy", "no-referrer");
        response.setHeader("Content-Security-Policy",
            "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'");
    }

    /** The fixed text of an error status, never the server's own message. */
    static String title(int status) {
        return switch (status) {
            case 400 -> "Bad request";
            case 404 -> "Not found";
            case 405 -> "Method not allowed";
            case 408 -> "Request timeout";
            case 413 -> "Request too large";
            case 414 -> "Address too long";
            case 431 -> "Request headers too large";
            case 503 -> "Busy";
            default -> status >= 500 ? "Something went wrong" : "Request refused";
        };
    }
}
