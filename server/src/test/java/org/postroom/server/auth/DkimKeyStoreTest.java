package org.postroom.server.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Base64;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.postroom.auth.dkim.DkimKeys;
import org.postroom.server.PostroomHome;

/** RSA and Ed25519 keys on disk: both active at once, one per algorithm, secrets 0600. */
class DkimKeyStoreTest {
    @TempDir
    Path root;
    DkimKeyStore testee;

    @BeforeEach
    void setUp() {
        testee = new DkimKeyStore(new PostroomHome(root));
    }

    @Test
    void anEd25519KeySignsBesideTheRsaKey() throws Exception {
        testee.generate("example.org", "rsa1");
        DkimKeyStore.KeyInfo ed = testee.generate("example.org", "ed1", DkimKeyStore.Algorithm.ED25519);

        assertThat(ed.algorithm()).isEqualTo("ed25519");
        assertThat(ed.dnsName()).isEqualTo("ed1._domainkey.example.org");
        assertThat(ed.dnsRecord()).startsWith("v=DKIM1; k=ed25519; p=");
        assertThat(Base64.getDecoder().decode(ed.dnsRecord().substring("v=DKIM1; k=ed25519; p=".length()))).hasSize(32);
        assertThat(testee.activeKeys("Example.org")).extracting(DkimKeys.SigningKey::selector).containsExactly("rsa1", "ed1");
        assertThat(testee.activeKey("example.org")).map(DkimKeys.SigningKey::selector).contains("rsa1");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(root.resolve("var/dkim/example.org/ed1.pem"))))
            .isEqualTo("rw-------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(root.resolve("var/dkim/example.org"))))
            .isEqualTo("rwx------");
    }

    @Test
    void aNewKeyReplacesOnlyTheActiveKeyOfItsAlgorithm() throws Exception {
        testee.generate("example.org", "ed1", DkimKeyStore.Algorithm.ED25519);
        testee.generate("example.org", "rsa1");
        testee.generate("example.org", "rsa2");
        testee.generate("example.org", "ed2", DkimKeyStore.Algorithm.ED25519);

        assertThat(testee.activeKeys("example.org")).extracting(DkimKeys.SigningKey::selector).containsExactly("rsa2", "ed2");
        assertThat(Files.readString(root.resolve("var/dkim/example.org/active"), StandardCharsets.US_ASCII)).isEqualTo("rsa2\ned2\n");
        assertThat(testee.list()).extracting(key -> key.selector() + ":" + key.algorithm() + ":" + key.active())
            .containsExactly("ed1:ed25519:false", "ed2:ed25519:true", "rsa1:rsa:false", "rsa2:rsa:true");
    }

    @Test
    void rotationOfEd25519UsesItsOwnDatedSelector() throws Exception {
        DkimKeyStore.KeyInfo rsa = testee.rotate("example.org");
        DkimKeyStore.KeyInfo ed = testee.rotate("example.org", DkimKeyStore.Algorithm.ED25519);

        assertThat(rsa.selector()).matches("pr\\d{8}");
        assertThat(ed.selector()).matches("ed\\d{8}");
        assertThat(testee.activeKeys("example.org")).hasSize(2);
    }

    @Test
    void anActiveFileOfTheFormerFormatStillWorks() throws Exception {
        testee.generate("example.org", "old");
        Files.writeString(root.resolve("var/dkim/example.org/active"), "old\n");

        assertThat(new DkimKeyStore(new PostroomHome(root)).activeKeys("example.org"))
            .extracting(DkimKeys.SigningKey::selector).containsExactly("old");
    }

    @Test
    void algorithmNamesAreParsed() {
        assertThat(DkimKeyStore.Algorithm.parse("ED25519")).contains(DkimKeyStore.Algorithm.ED25519);
        assertThat(DkimKeyStore.Algorithm.parse("rsa")).contains(DkimKeyStore.Algorithm.RSA);
        assertThat(DkimKeyStore.Algorithm.parse("dsa")).isEmpty();
        assertThatThrownBy(() -> testee.generate("example.org", "Bad_Selector", DkimKeyStore.Algorithm.ED25519))
            .isInstanceOf(IllegalArgumentException.class);
    }
}
