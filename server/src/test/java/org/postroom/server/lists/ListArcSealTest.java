package org.postroom.server.lists;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

import org.apache.james.core.MailAddress;
import org.apache.mailet.Attribute;
import org.apache.mailet.AttributeValue;
import org.apache.mailet.Mail;
import org.apache.mailet.base.test.FakeMailContext;
import org.apache.mailet.base.test.FakeMailetConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.postroom.auth.arc.ArcResult;
import org.postroom.auth.arc.ArcSealer;
import org.postroom.auth.arc.ArcValidator;
import org.postroom.auth.arc.Dkimpy;
import org.postroom.auth.dkim.DkimKeys;
import org.postroom.auth.dmarc.TxtLookup;
import org.postroom.auth.inbound.InboundIdentity;
import org.postroom.bounce.processing.memory.MemoryDeliveryCounters;
import org.postroom.events.MailEventBus;
import org.postroom.lists.Change;
import org.postroom.lists.ChangeMethod;
import org.postroom.lists.ListAddresses;
import org.postroom.lists.MemberStatus;
import org.postroom.lists.UnsubscribeLinks;
import org.postroom.lists.delivery.FromMunging;
import org.postroom.lists.delivery.RawMessage;
import org.postroom.lists.delivery.Verp;
import org.postroom.lists.memory.MemoryListStore;
import org.postroom.lists.memory.MemorySuppressionList;
import org.postroom.lists.tokens.KeyRing;
import org.postroom.lists.tokens.VerpTags;
import org.postroom.server.MailFlowGate;
import org.postroom.server.delivery.EngineFixture;
import org.postroom.server.delivery.LoopbackMx;

/**
 * ARC sealing of list posts over the real expansion, outbound engine and a loopback MX: every member's copy as it
 * reaches the member's server carries the post's one ARC set, which dkimpy's {@code arc_verify} (an independent
 * implementation) and Postroom's validator accept, with the member's own DKIM signature and unsubscribe fields above.
 */
class ListArcSealTest {
    private static final String AUTHSERV = "mail.example.org";
    private static KeyPair listKey;
    private static KeyPair forwarderKey;

    @TempDir
    Path folder;

    LoopbackMx mx;
    EngineFixture fixture;
    ListExpansion expansion;
    final MemoryListStore lists = new MemoryListStore();
    final FakeMailContext context = FakeMailContext.defaultContext();
    final Map<String, String> records = new HashMap<>();
    MailAddress news;

    @BeforeAll
    static void keys() throws Exception {
        Dkimpy.requireInstalled();
        KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
        generator.initialize(2048);
        listKey = generator.generateKeyPair();
        forwarderKey = generator.generateKeyPair();
    }

    private static String record(KeyPair pair) {
        return "v=DKIM1; k=rsa; p=" + Base64.getEncoder().encodeToString(pair.getPublic().getEncoded());
    }

    private TxtLookup dns() {
        return name -> Optional.ofNullable(records.get(name.toLowerCase(Locale.ROOT).replaceAll("\\.$", ""))).map(List::of)
            .orElse(List.of());
    }

    /** The expansion mailet with the list domain's key s1 for DKIM and ARC; sealing as {@code seal} says. */
    private ExpandList start(boolean seal) throws Exception {
        records.put("s1._domainkey.example.org", record(listKey));
        records.put("f1._domainkey.forwarder.test", record(forwarderKey));
        DkimKeys keys = domain -> domain.equals("example.org")
            ? Optional.of(new DkimKeys.SigningKey("example.org", "s1", listKey.getPrivate())) : Optional.empty();
        mx = new LoopbackMx();
        fixture = new EngineFixture(folder, Map.of(), Map.of(), Map.of("*", mx.port()), Duration.ofMinutes(5));
        news = new MailAddress("news@example.org");
        lists.create(ExpandListTest.list(news, false));
        KeyRing ring = KeyRing.generate(new SecureRandom(), Instant.now());
        ListAddresses addresses = new ListAddresses(Verp.of(Verp.DEFAULT_FORMAT),
            new VerpTags(() -> ring, Duration.ofDays(90), Duration.ofDays(14), Clock.systemUTC()));
        ListCopies copies = new ListCopies(fixture.store, lists, UnsubscribeLinks.commandAddressOnly(), keys, addresses);
        expansion = new ListExpansion(fixture.engine, lists, new MemorySuppressionList(), ExpandListTest.localDomains("example.org"),
            copies, new MemoryDeliveryCounters(), new MailEventBus(), Clock.systemUTC());
        MailFlowGate gate = new MailFlowGate();
        gate.open();
        ExpandList testee = new ExpandList(expansion, lists, new FromMunging(name -> List.of()), gate,
            new ListArcSeal(keys, seal, AUTHSERV, new ArcValidator(dns()), Clock.systemUTC()));
        FakeMailetConfig.Builder config = FakeMailetConfig.builder().mailetName("ExpandList").mailetContext(context);
        ExpandListTest.PARAMETERS.forEach(config::setProperty);
        testee.init(config.build());
        return testee;
    }

    @AfterEach
    void stop() throws Exception {
        if (expansion != null) {
            expansion.close();
            fixture.close();
            mx.close();
        }
    }

    private void members(String... addresses) throws Exception {
        for (String address : addresses) {
            lists.setStatus(news, new MailAddress(address), MemberStatus.ACTIVE, Change.now(ChangeMethod.CLI, "test"));
        }
    }

    /** A post as the MX port hands it on: the Authentication-Results it wrote, recorded with the ARC validation. */
    private static Mail arrived(Mail post, String arc) throws Exception {
        String results = AUTHSERV + ";\r\n\tspf=pass smtp.mailfrom=alice@example.net;\r\n\tdkim=none;\r\n\tarc=" + arc
            + " smtp.remote-ip=192.0.2.1;\r\n\tdmarc=none header.from=example.net";
        post.getMessage().addHeader("Authentication-Results", results);
        InboundIdentity.recordResults(post, Optional.of(arc), Optional.of(results));
        return post;
    }

    private List<LoopbackMx.Received> delivered(int count) {
        await().atMost(30, SECONDS).until(() -> mx.received.size() >= count);
        return mx.received;
    }

    private ArcResult postroom(String copy) throws Exception {
        return new ArcValidator(dns()).validate(copy.getBytes(StandardCharsets.ISO_8859_1));
    }

    private String dkimpy(String copy) throws Exception {
        return Dkimpy.verify(copy.getBytes(StandardCharsets.ISO_8859_1), records);
    }

    @Test
    void everyMembersCopyCarriesTheSameSealWhichVerifiesIndependently() throws Exception {
        ExpandList testee = start(true);
        members("bob@remote.test", "carol@remote.test", "dan@remote.test");

        testee.service(arrived(ExpandListTest.post("alice@example.net", "news@example.org"), "none"));

        List<LoopbackMx.Received> copies = delivered(3);
        List<String> seals = new ArrayList<>();
        for (LoopbackMx.Received copy : copies) {
            String content = copy.content();
            assertThat(content).contains("ARC-Seal: i=1; a=rsa-sha256;").contains("cv=none")
                .contains("ARC-Authentication-Results: i=1; " + AUTHSERV + ";\r\n\tspf=pass smtp.mailfrom=alice@example.net;")
                .contains("DKIM-Signature: ").contains("List-Unsubscribe: <mailto:news+unsubscribe");
            assertThat(dkimpy(content)).as(copy.recipients().toString()).startsWith("cv=pass");
            assertThat(postroom(content).status()).isEqualTo(ArcResult.Status.PASS);
            seals.add(content.substring(content.indexOf("ARC-Seal:"), content.indexOf("ARC-Authentication-Results:")));
        }
        assertThat(seals).as("one ARC set per post, the same in every copy").containsOnly(seals.get(0));
    }

    @Test
    void aChainThePostArrivedWithIsContinuedWithCvPass() throws Exception {
        ExpandList testee = start(true);
        members("bob@remote.test");
        // The post came through forwarder.test, which sealed it (instance 1), and passed our validation.
        Mail post = forwarded();
        assertThat(new ArcValidator(dns()).validate(out -> {
            try {
                post.getMessage().writeTo(out);
            } catch (javax.mail.MessagingException e) {
                throw new java.io.IOException(e);
            }
        }).status()).as("the chain as it arrived").isEqualTo(ArcResult.Status.PASS);

        testee.service(arrived(post, "pass"));

        String copy = delivered(1).get(0).content();
        assertThat(copy).contains("ARC-Seal: i=2; a=rsa-sha256;").contains("cv=pass").contains("ARC-Seal: i=1;");
        assertThat(dkimpy(copy)).startsWith("cv=pass");
        ArcResult result = postroom(copy);
        assertThat(result.status()).isEqualTo(ArcResult.Status.PASS);
        assertThat(result.instances()).isEqualTo(2);
        assertThat(result.oldestPass()).as("the list changed the message (7 bit, list fields): only its own AMS verifies")
            .isEqualTo(2);
    }

    /** A post that went through forwarder.test, which sealed it (instance 1). */
    private static Mail forwarded() throws Exception {
        Mail post = ExpandListTest.post("alice@example.net", "news@example.org");
        java.io.ByteArrayOutputStream wire = new java.io.ByteArrayOutputStream();
        post.getMessage().writeTo(wire);
        RawMessage raw = RawMessage.parse(wire.toByteArray());
        List<String> set = new ArcSealer(new DkimKeys.SigningKey("forwarder.test", "f1", forwarderKey.getPrivate()))
            .seal(raw.fields(), raw.body(), "forwarder.test; spf=pass smtp.mailfrom=alice@example.net", ArcResult.Status.NONE,
                Instant.now().getEpochSecond()).orElseThrow();
        for (String field : set) {
            post.getMessage().addHeaderLine(field);
        }
        post.getMessage().saveChanges();
        return post;
    }

    @Test
    void aChainOnAPostNotCheckedAtReceptionIsValidatedWhenSealed() throws Exception {
        ExpandList testee = start(true);
        members("bob@remote.test");
        Mail intact = forwarded();
        intact.setAttribute(new Attribute(Mail.SMTP_AUTH_USER, AttributeValue.of("alice@example.org")));
        Mail broken = forwarded();
        broken.setAttribute(new Attribute(Mail.SMTP_AUTH_USER, AttributeValue.of("alice@example.org")));
        broken.getMessage().setSubject("altered after sealing");
        broken.getMessage().saveChanges();

        testee.service(intact);
        testee.service(broken);

        List<LoopbackMx.Received> copies = delivered(2);
        String passed = copies.stream().map(LoopbackMx.Received::content).filter(c -> c.contains("Subject: spring news"))
            .findFirst().orElseThrow();
        String failed = copies.stream().map(LoopbackMx.Received::content).filter(c -> c.contains("Subject: altered"))
            .findFirst().orElseThrow();
        assertThat(passed).contains("ARC-Seal: i=2;").contains("cv=pass");
        assertThat(dkimpy(passed)).startsWith("cv=pass");
        // A chain that no longer verifies is sealed cv=fail over the list's own set only: receivers see it ended.
        assertThat(failed).contains("ARC-Seal: i=2;").contains("cv=fail");
        assertThat(postroom(failed).reason()).isEqualTo("ARC-Seal i=2 says cv=fail");
        assertThat(dkimpy(failed)).startsWith("cv=ended");
    }

    @Test
    void aSubmittedPostRecordsTheAuthenticatedUser() throws Exception {
        ExpandList testee = start(true);
        members("bob@remote.test");
        Mail post = ExpandListTest.post("alice@example.org", "news@example.org");
        post.setAttribute(new Attribute(Mail.SMTP_AUTH_USER, AttributeValue.of("alice@example.org")));

        testee.service(post);

        String copy = delivered(1).get(0).content();
        assertThat(copy).contains("ARC-Authentication-Results: i=1; " + AUTHSERV + "; auth=pass smtp.auth=alice@example.org");
        assertThat(dkimpy(copy)).startsWith("cv=pass");
    }

    @Test
    void sealingCanBeTurnedOff() throws Exception {
        ExpandList testee = start(false);
        members("bob@remote.test");

        testee.service(arrived(ExpandListTest.post("alice@example.net", "news@example.org"), "none"));

        String copy = delivered(1).get(0).content();
        assertThat(copy).contains("DKIM-Signature: ").doesNotContain("ARC-Seal").doesNotContain("ARC-Message-Signature");
        assertThat(dkimpy(copy)).startsWith("cv=none");
    }
}
