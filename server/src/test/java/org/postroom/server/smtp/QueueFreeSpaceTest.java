package org.postroom.server.smtp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;

import org.apache.james.core.MailAddress;
import org.apache.james.core.MaybeSender;
import org.apache.james.protocols.api.ProtocolSession;
import org.apache.james.protocols.smtp.hook.HookResult;
import org.apache.james.protocols.smtp.hook.HookReturnCode;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

class QueueFreeSpaceTest {
    static final long MB = 1024 * 1024;

    long usable = 500 * MB;
    long total = 1000 * MB;
    long now = 0;
    int reads;
    boolean failing;

    final QueueFreeSpace.Disk disk = new QueueFreeSpace.Disk() {
        @Override
        public long usableBytes() throws IOException {
            reads++;
            if (failing) {
                throw new IOException("statfs failed");
            }
            return usable;
        }

        @Override
        public long totalBytes() {
            return total;
        }
    };

    QueueFreeSpace testee(String setting) {
        return new QueueFreeSpace(disk, setting, () -> now);
    }

    @Test
    void enoughWhileTheFreeSpaceStaysAboveTheMinimum() {
        assertThat(testee("100M").check(0).enough()).isTrue();
        assertThat(testee("500M").check(0).enough()).isTrue();
        assertThat(testee("501M").check(0).enough()).isFalse();
    }

    @Test
    void theDeclaredSizeMustFitAboveTheMinimum() {
        QueueFreeSpace testee = testee("100M");

        assertThat(testee.check(400 * MB).enough()).isTrue();
        assertThat(testee.check(400 * MB + 1).enough()).isFalse();
    }

    @Test
    void aPercentageIsAShareOfTheFileSystem() {
        assertThat(testee("50%").check(0).enough()).isTrue();
        assertThat(testee("51%").check(0).enough()).isFalse();
        assertThat(testee("100%").check(0)).isEqualTo(new QueueFreeSpace.Verdict(false, 500 * MB, 1000 * MB));
    }

    @Test
    void zeroTurnsTheCheckOffWithoutAskingTheFileSystem() {
        usable = 0;

        assertThat(testee("0").check(Long.MAX_VALUE / 2).enough()).isTrue();
        assertThat(reads).isZero();
    }

    @Test
    void theFileSystemIsAskedAtMostOnceASecond() {
        QueueFreeSpace testee = testee("100M");
        for (int i = 0; i < 1000; i++) {
            testee.check(0);
        }
        assertThat(reads).isEqualTo(1);

        usable = 50 * MB;
        now += QueueFreeSpace.REFRESH_NANOS - 1;
        assertThat(testee.check(0).enough()).isTrue();
        now += 1;
        assertThat(testee.check(0).enough()).isFalse();
        assertThat(reads).isEqualTo(2);
    }

    @Test
    void aFileSystemThatCannotBeAskedDoesNotStopMail() {
        failing = true;

        assertThat(testee("100M").check(10 * MB).enough()).isTrue();
    }

    @Test
    void malformedSettingsAreRefused() {
        for (String setting : new String[] {"lots", "-1", "101%", "5.5%", "10T"}) {
            assertThat(QueueFreeSpace.MinFree.parse(setting)).as(setting).isEmpty();
            assertThatThrownBy(() -> testee(setting)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("postroom.queue.minfree=" + setting);
        }
    }

    @Nested
    class Hook {
        final FakeSmtpSession fake = new FakeSmtpSession();

        HookResult mail(String setting) throws Exception {
            return new RequireFreeQueueSpace(testee(setting)).doMail(fake.session(), MaybeSender.of(new MailAddress("a@remote.test")));
        }

        @Test
        void mailIsLeftToTheOtherHooksWhenThereIsRoom() throws Exception {
            assertThat(mail("100M")).isEqualTo(HookResult.DECLINED);
        }

        @Test
        void mailIsRefusedForNowWith452And431WhenTheDiskIsTooFull() throws Exception {
            HookResult result = mail("100%");

            assertThat(result.getResult()).isEqualTo(HookReturnCode.denySoft());
            assertThat(result.getSmtpRetCode()).isEqualTo("452");
            assertThat(result.getSmtpDescription()).startsWith("4.3.1 Insufficient system storage");
        }

        @Test
        void theSizeDeclaredWithMailFromIsTakenIntoAccount() throws Exception {
            fake.set(RequireFreeQueueSpace.JAMES_DECLARED_SIZE, (int) (450 * MB), ProtocolSession.State.Transaction);

            assertThat(mail("100M").getSmtpRetCode()).isEqualTo("452");
            assertThat(mail("10M")).isEqualTo(HookResult.DECLINED);
        }
    }
}
