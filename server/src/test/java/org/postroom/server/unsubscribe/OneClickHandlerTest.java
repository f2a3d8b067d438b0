package org.postroom.server.unsubscribe;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;

import org.apache.james.core.MailAddress;
import org.eclipse.jetty.server.LocalConnector;
import org.eclipse.jetty.server.Server;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.postroom.events.MailEvent;
import org.postroom.lists.Change;
import org.postroom.lists.ChangeMethod;
import org.postroom.lists.MailingList;
import org.postroom.lists.MemberEvent;
import org.postroom.lists.MemberStatus;
import org.postroom.lists.PostingPolicy;
import org.postroom.lists.ReplyToPolicy;
import org.postroom.lists.SubscriptionPolicy;
import org.postroom.lists.memory.MemoryListStore;
import org.postroom.lists.tokens.KeyRing;
import org.postroom.lists.tokens.SignedUnsubscribeLinks;
import org.postroom.lists.tokens.Tokens;

/** The one-click handler goes through the one unsubscribe rule: status, history, event, idempotent answers. */
class OneClickHandlerTest {
    static final String ONE_CLICK = "List-Unsubscribe=One-Click";

    final List<MailEvent> published = new CopyOnWriteArrayList<>();
    MemoryListStore lists;
    SignedUnsubscribeLinks links;
    MailingList news;
    MailAddress alice;
    Server server;
    LocalConnector connector;

    @BeforeEach
    void setUp() throws Exception {
        KeyRing ring = KeyRing.generate(new SecureRandom(), Instant.now());
        Tokens tokens = new Tokens(() -> ring, Duration.ofDays(90), Duration.ofDays(7), Clock.systemUTC());
        links = new SignedUnsubscribeLinks(tokens, Optional.of(URI.create("https://lists.example.org")));
        lists = new MemoryListStore();
        news = new MailingList(new MailAddress("news@example.org"), "News", "", Set.of(), Set.of(),
            PostingPolicy.ANNOUNCE, SubscriptionPolicy.CONFIRM, ReplyToPolicy.POSTER, Optional.empty(), true);
        lists.create(news);
        alice = new MailAddress("alice@example.net");
        server = new Server();
        connector = new LocalConnector(server);
        server.addConnector(connector);
        server.setHandler(new OneClickHandler(tokens, lists, new ClientAddress(List.of()), published::add));
        server.start();
    }

    @AfterEach
    void tearDown() throws Exception {
        server.stop();
    }

    String post(MailAddress member) throws Exception {
        String path = links.oneClick(news, member).orElseThrow().getRawPath();
        return connector.getResponse("POST " + path + " HTTP/1.1\r\nHost: lists.example.org\r\nConnection: close\r\n"
            + "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: " + ONE_CLICK.length() + "\r\n\r\n"
            + ONE_CLICK);
    }

    @Test
    void aPostUnsubscribesOnceWithMethodOneClickAndARepeatIsAlso200() throws Exception {
        lists.setStatus(news.address(), alice, MemberStatus.ACTIVE, Change.now(ChangeMethod.CLI, "admin"));

        String first = post(alice);
        String second = post(alice);

        assertThat(first).startsWith("HTTP/1.1 200").contains("Unsubscribed");
        assertThat(second).startsWith("HTTP/1.1 200");
        assertThat(lists.member(news.address(), alice).orElseThrow().status()).isEqualTo(MemberStatus.UNSUBSCRIBED);
        List<MemberEvent> history = lists.history(news.address(), alice);
        assertThat(history).hasSize(2);
        assertThat(history.get(1).change().method()).isEqualTo(ChangeMethod.ONE_CLICK);
        String origin = history.get(1).change().origin().orElseThrow();
        assertThat(published).singleElement().satisfies(event -> assertThat(event.fields())
            .containsEntry("list", "news@example.org").containsEntry("recipient", "alice@example.net")
            .containsEntry("method", "one-click").containsEntry("client", origin).doesNotContainKey("queue-id"));
    }

    @Test
    void aPostForAnAddressThatIsNoMemberIsAnswered200AndChangesNothing() throws Exception {
        String response = post(alice);

        assertThat(response).startsWith("HTTP/1.1 200");
        assertThat(lists.member(news.address(), alice)).isEmpty();
        assertThat(published).isEmpty();
    }

    @Test
    void aGetChangesNothing() throws Exception {
        lists.setStatus(news.address(), alice, MemberStatus.ACTIVE, Change.now(ChangeMethod.CLI, "admin"));
        String path = links.oneClick(news, alice).orElseThrow().getRawPath();

        String page = connector.getResponse("GET " + path + " HTTP/1.1\r\nHost: lists.example.org\r\nConnection: close\r\n\r\n");

        assertThat(page).startsWith("HTTP/1.1 200").contains("<form method=\"post\"");
        assertThat(lists.member(news.address(), alice).orElseThrow().status()).isEqualTo(MemberStatus.ACTIVE);
        assertThat(published).isEmpty();
    }
}
