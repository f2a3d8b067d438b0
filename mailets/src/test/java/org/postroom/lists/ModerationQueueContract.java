package org.postroom.lists;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.Optional;

import javax.mail.MessagingException;

import org.apache.james.core.MailAddress;
import org.apache.james.core.builder.MimeMessageBuilder;
import org.apache.mailet.Mail;
import org.apache.mailet.base.test.FakeMail;
import org.junit.jupiter.api.Test;

/** What every {@link ModerationQueue} does; run against the in-memory queue and the server's JPA mail repositories. */
public abstract class ModerationQueueContract {
    protected static final MailAddress NEWS = address("news@example.org");
    protected static final MailAddress TEAM = address("team@example.org");
    protected static final MailAddress STRANGER = address("stranger@remote.test");

    /** A new, empty queue for each test. Posts are held from the transport processor, so they carry its state. */
    protected abstract ModerationQueue testee();

    protected static MailAddress address(String address) {
        try {
            return new MailAddress(address);
        } catch (Exception e) {
            throw new IllegalArgumentException(address, e);
        }
    }

    protected static Mail post(String subject, MailAddress... recipients) throws MessagingException {
        return FakeMail.builder().name("Mail-" + subject).state("transport").sender(STRANGER).recipients(recipients)
            .mimeMessage(MimeMessageBuilder.mimeMessageBuilder().setSubject(subject).setText("Hello, " + subject).build())
            .build();
    }

    @Test
    void aHeldPostIsListedWithSenderSubjectSizeAndTheTimeItWasHeld() throws Exception {
        Instant before = Instant.now().minusSeconds(1);
        Mail mail = post("first", NEWS, TEAM);

        String id = testee().hold(NEWS, mail);

        assertThat(testee().held(NEWS)).singleElement().satisfies(held -> {
            assertThat(held.id()).isEqualTo(id);
            assertThat(held.list()).isEqualTo(NEWS);
            assertThat(held.sender().asString()).isEqualTo(STRANGER.asString());
            assertThat(held.subject()).contains("first");
            assertThat(held.size()).isPositive();
            assertThat(held.date()).isAfter(before).isBefore(Instant.now().plusSeconds(1));
        });
        assertThat(testee().held(TEAM)).isEmpty();
    }

    @Test
    void theHeldCopyIsAddressedToTheListOnlyAndTheOriginalIsLeftAsItWas() throws Exception {
        Mail mail = post("copy", NEWS, TEAM);

        String id = testee().hold(NEWS, mail);

        Mail held = testee().retrieve(NEWS, id).orElseThrow();
        assertThat(held.getRecipients()).containsExactly(NEWS);
        assertThat(held.getMaybeSender().asString()).isEqualTo(STRANGER.asString());
        assertThat(held.getMessage().getSubject()).isEqualTo("copy");
        assertThat(held.getMessage().getContent().toString()).contains("Hello, copy");
        assertThat(mail.getName()).isEqualTo("Mail-copy");
        assertThat(mail.getRecipients()).containsExactly(NEWS, TEAM);
    }

    @Test
    void postsAreListedOldestFirstEvenWhenHeldInTheSameMillisecond() throws Exception {
        String first = testee().hold(NEWS, post("one", NEWS));
        String second = testee().hold(NEWS, post("two", NEWS));
        String third = testee().hold(NEWS, post("three", NEWS));

        assertThat(testee().held(NEWS)).extracting(ModerationQueue.HeldPost::id).containsExactly(first, second, third);
    }

    @Test
    void idsAreDistinctAndNameOnePostOfOneList() throws Exception {
        String news = testee().hold(NEWS, post("a", NEWS, TEAM));
        String team = testee().hold(TEAM, post("a", NEWS, TEAM));

        assertThat(news).isNotEqualTo(team);
        assertThat(testee().retrieve(TEAM, news)).isEmpty();
        assertThat(testee().retrieve(NEWS, "h0000000000")).isEmpty();
        assertThat(testee().retrieve(NEWS, "../../etc")).isEmpty();
        assertThat(testee().retrieve(address("NEWS@Example.org"), news)).isPresent();
    }

    @Test
    void aRemovedPostIsGoneAndRemovingItAgainSaysSo() throws Exception {
        String id = testee().hold(NEWS, post("gone", NEWS));
        String kept = testee().hold(NEWS, post("kept", NEWS));

        assertThat(testee().remove(NEWS, id)).isTrue();
        assertThat(testee().remove(NEWS, id)).isFalse();
        assertThat(testee().remove(TEAM, kept)).isFalse();

        assertThat(testee().retrieve(NEWS, id)).isEmpty();
        assertThat(testee().held(NEWS)).extracting(ModerationQueue.HeldPost::id).containsExactly(kept);
    }

    @Test
    void removeAllForgetsOneListsPostsOnly() throws Exception {
        testee().hold(NEWS, post("n1", NEWS));
        testee().hold(NEWS, post("n2", NEWS));
        String team = testee().hold(TEAM, post("t1", TEAM));

        testee().removeAll(NEWS);

        assertThat(testee().held(NEWS)).isEmpty();
        assertThat(testee().held(TEAM)).extracting(ModerationQueue.HeldPost::id).containsExactly(team);
        assertThat(testee().retrieve(TEAM, team)).isPresent();
    }

    @Test
    void aPostFromTheNullSenderKeepsItsSender() throws Exception {
        Mail bounce = FakeMail.builder().name("bounce").state("transport").recipient(NEWS)
            .mimeMessage(MimeMessageBuilder.mimeMessageBuilder().setText("x").build()).build();

        String id = testee().hold(NEWS, bounce);

        assertThat(testee().held(NEWS)).extracting(held -> held.sender().isNullSender()).containsExactly(true);
        assertThat(testee().retrieve(NEWS, id).map(Mail::getMaybeSender).map(sender -> sender.isNullSender()))
            .isEqualTo(Optional.of(true));
    }
}
