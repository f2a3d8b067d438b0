package org.postroom.server.wellknown;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import javax.servlet.http.HttpServletRequest;
import javax.servlet.http.HttpServletResponse;

import org.eclipse.jetty.server.LocalConnector;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.handler.AbstractHandler;
import org.eclipse.jetty.server.handler.HandlerList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The well-known files by path and Host, before the handler that serves everything else. */
class WellKnownHandlerTest {
    static final PublishedMtaSts POLICY = new PublishedMtaSts(PublishedMtaSts.Mode.ENFORCE, List.of("mail.example.org"),
        Duration.ofDays(14));
    static final Set<String> LOCAL = Set.of("example.org", "lists.example.org");

    Server server;
    LocalConnector connector;

    @BeforeEach
    void setUp() throws Exception {
        server = new Server();
        connector = new LocalConnector(server);
        server.addConnector(connector);
        WellKnownHandler testee = new WellKnownHandler(POLICY, new Autoconfig("mail.example.org", 993, 143, 995, 465, 587),
            LOCAL::contains);
        server.setHandler(new HandlerList(testee, new AbstractHandler() {
            @Override
            public void handle(String target, Request base, HttpServletRequest request, HttpServletResponse response) {
                base.setHandled(true);
                response.setStatus(299);
            }
        }));
        server.start();
    }

    @AfterEach
    void tearDown() throws Exception {
        server.stop();
    }

    String get(String target, String host) throws Exception {
        return connector.getResponse("GET " + target + " HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n");
    }

    static String body(String response) {
        return response.substring(response.indexOf("\r\n\r\n") + 4);
    }

    @Test
    void thePolicyIsServedAsPlainTextForMtaStsDotALocalDomain() throws Exception {
        String response = get("/.well-known/mta-sts.txt", "mta-sts.example.org");

        assertThat(response).startsWith("HTTP/1.1 200").containsIgnoringCase("Content-Type: text/plain\r\n");
        assertThat(body(response)).isEqualTo(POLICY.text());
        assertThat(get("/.well-known/mta-sts.txt", "MTA-STS.Lists.Example.ORG.:8443")).startsWith("HTTP/1.1 200");
    }

    @Test
    void thePolicyIsNotFoundForAnyOtherHost() throws Exception {
        assertThat(get("/.well-known/mta-sts.txt", "mta-sts.other.test")).startsWith("HTTP/1.1 404");
        assertThat(get("/.well-known/mta-sts.txt", "example.org")).startsWith("HTTP/1.1 404");
        assertThat(get("/.well-known/mta-sts.txt", "mta-sts.")).startsWith("HTTP/1.1 404");
        assertThat(get("/.well-known/mta-sts.txt", "127.0.0.1")).startsWith("HTTP/1.1 404");
        assertThat(connector.getResponse("GET /.well-known/mta-sts.txt HTTP/1.0\r\n\r\n")).startsWith("HTTP/1.1 404");
    }

    @Test
    void onlyGetAndHeadAreAnswered() throws Exception {
        String response = connector.getResponse("POST /.well-known/mta-sts.txt HTTP/1.1\r\nHost: mta-sts.example.org\r\n"
            + "Content-Length: 0\r\nConnection: close\r\n\r\n");

        assertThat(response).startsWith("HTTP/1.1 405").contains("Allow: GET, HEAD");
        assertThat(connector.getResponse("HEAD /.well-known/mta-sts.txt HTTP/1.1\r\nHost: mta-sts.example.org\r\n"
            + "Connection: close\r\n\r\n")).startsWith("HTTP/1.1 200");
    }

    @Test
    void autoconfigIsServedForTheDomainOfTheHostOrOfTheAddress() throws Exception {
        String byHost = get("/mail/config-v1.1.xml", "autoconfig.example.org");
        String byAddress = get("/.well-known/autoconfig/mail/config-v1.1.xml?emailaddress=alice%40lists.example.org",
            "mail.example.org");
        String byDomainHost = get("/.well-known/autoconfig/mail/config-v1.1.xml", "example.org");

        assertThat(byHost).startsWith("HTTP/1.1 200").containsIgnoringCase("Content-Type: text/xml");
        assertThat(body(byHost)).isEqualTo(new Autoconfig("mail.example.org", 993, 143, 995, 465, 587).xml("example.org"));
        assertThat(body(byAddress)).contains("<domain>lists.example.org</domain>");
        assertThat(byDomainHost).startsWith("HTTP/1.1 200");
    }

    @Test
    void autoconfigIsNotFoundForForeignDomainsAndMalformedQueries() throws Exception {
        String path = "/mail/config-v1.1.xml";
        assertThat(get(path, "autoconfig.other.test")).startsWith("HTTP/1.1 404");
        assertThat(get(path + "?emailaddress=bob@other.test", "autoconfig.example.org")).startsWith("HTTP/1.1 404");
        assertThat(get(path + "?emailaddress=no-domain", "autoconfig.example.org")).startsWith("HTTP/1.1 404");
        assertThat(get(path + "?emailaddress=%zz", "autoconfig.example.org")).startsWith("HTTP/1.1 404");
        assertThat(get(path + "?emailaddress=a@" + "x".repeat(1100) + ".org", "autoconfig.example.org"))
            .startsWith("HTTP/1.1 404");
        assertThat(get(path + "?emailaddress=a@example.org%3Cscript%3E", "autoconfig.example.org"))
            .startsWith("HTTP/1.1 404");
    }

    @Test
    void otherPathsGoToTheNextHandler() throws Exception {
        assertThat(get("/u/sometoken", "mta-sts.example.org")).startsWith("HTTP/1.1 299");
        assertThat(get("/.well-known/mta-sts.txt/x", "mta-sts.example.org")).startsWith("HTTP/1.1 299");
        assertThat(get("/", "autoconfig.example.org")).startsWith("HTTP/1.1 299");
    }

    @Test
    void theQueryIsReadInOnePassAndBounded() {
        assertThat(WellKnownHandler.parameter("a=1&emailaddress=alice%40example.org&emailaddress=x", "emailaddress"))
            .contains("alice@example.org");
        assertThat(WellKnownHandler.parameter("emailaddress", "emailaddress")).contains("");
        assertThat(WellKnownHandler.parameter("a=b=c&&", "emailaddress")).isEmpty();
        assertThat(WellKnownHandler.parameter("e+mail=1&email+address=a+b", "email address")).contains("a b");
        assertThat(WellKnownHandler.parameter(null, "emailaddress")).isEmpty();
        assertThat(WellKnownHandler.parameter("&".repeat(WellKnownHandler.MAX_QUERY), "emailaddress")).isEqualTo(Optional.empty());
        assertThat(WellKnownHandler.parameter("=".repeat(WellKnownHandler.MAX_QUERY), "emailaddress")).isEmpty();
        assertThatThrownBy(() -> WellKnownHandler.parameter("&".repeat(WellKnownHandler.MAX_QUERY + 1), "emailaddress"))
            .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> WellKnownHandler.parameter("%e9=x&emailaddress=a", "emailaddress"))
            .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> WellKnownHandler.parameter("emailaddress=%e9", "emailaddress"))
            .isInstanceOf(IllegalArgumentException.class);
        assertThat(WellKnownHandler.parameter("other=%e9&emailaddress=a", "emailaddress")).contains("a");
    }
}
