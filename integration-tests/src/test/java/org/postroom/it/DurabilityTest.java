package org.postroom.it;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.postroom.it.MailClients.Security.IMPLICIT_TLS;
import static org.postroom.it.MailClients.Security.STARTTLS;

import javax.mail.internet.MimeMessage;

import javax.mail.MessagingException;

import org.junit.jupiter.api.Test;

/** Mail answered 250 is never lost: not by a clean restart, not by kill -9. */
class DurabilityTest {
    static final String ALICE = "alice@" + PostroomProcess.DOMAIN;
    static final String PASSWORD = "alice-Secret-42";

    @Test
    void deliveredMailAndAccountsSurviveARestart() throws Exception {
        try (PostroomProcess server = PostroomProcess.create().start()) {
            server.admin().addUser(ALICE, PASSWORD);
            MailClients.submit(server.port("submission"), STARTTLS, ALICE, PASSWORD,
                MailClients.message(ALICE, ALICE, "before restart", "kept across restarts"));
            await().atMost(30, SECONDS).ignoreExceptionsInstanceOf(MessagingException.class).untilAsserted(() ->
                assertThat(MailClients.imapSubjects(server.port("imaps"), IMPLICIT_TLS, ALICE, PASSWORD)).contains("before restart"));

            server.stop();
            server.start();

            assertThat(MailClients.imapSubjects(server.port("imaps"), IMPLICIT_TLS, ALICE, PASSWORD)).containsExactly("before restart");
        }
    }

    @Test
    void mailAcceptedForARemoteDomainWhoseMxIsDownSurvivesKillAndIsDeliveredWhenTheMxComesUp() throws Exception {
        try (SmtpSink remoteMx = new SmtpSink(PostroomProcess.freePort());
             PostroomProcess server = PostroomProcess.create()
                 .with("postroom.relayhost", "[127.0.0.1]:" + remoteMx.port())
                 .with("postroom.relayhost.starttls", "false")
                 .start()) {
            server.admin().addUser(ALICE, PASSWORD);
            MimeMessage message = MailClients.message(ALICE, "carol@remote.test", "through the storm", "still here");
            String messageId = message.getMessageID();
            MailClients.submit(server.port("submission"), STARTTLS, ALICE, PASSWORD, message);

            // The first attempt fails (nothing listens), so the recipient waits in the outbound queue for a retry.
            await().atMost(30, SECONDS).ignoreExceptionsInstanceOf(MessagingException.class).untilAsserted(() ->
                assertThat(server.admin().outbound()).contains("carol@remote.test").contains("\"state\":\"deferred\""));
            await().atMost(30, SECONDS).ignoreExceptionsInstanceOf(MessagingException.class).untilAsserted(() -> assertThat(server.log())
                .containsPattern("delivery \\S+ to=<carol@remote.test> destination=smarthost host=- tls=none attempt=1 result=deferred"
                    + " next=\\S+ reply=\"no connection to smarthost"));
            server.kill();

            remoteMx.start();
            server.start();
            server.admin().flushOutgoing();

            await().atMost(60, SECONDS).untilAsserted(() -> assertThat(remoteMx.received())
                .anySatisfy(received -> {
                    assertThat(received.recipients()).containsExactly("carol@remote.test");
                    assertThat(received.sender()).isEqualTo(ALICE);
                    assertThat(received.content()).contains(messageId);
                }));
            await().atMost(30, SECONDS).ignoreExceptionsInstanceOf(MessagingException.class).untilAsserted(() ->
                assertThat(server.admin().outbound()).isEqualTo("[]"));
            assertThat(remoteMx.received()).hasSize(1);
        }
    }
}
