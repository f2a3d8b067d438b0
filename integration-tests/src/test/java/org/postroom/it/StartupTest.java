package org.postroom.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.StandardOpenOption;

import org.junit.jupiter.api.Test;

/** A server that cannot start says why in one line and exits non-zero. */
class StartupTest {
    @Test
    void aPortInUseIsNamedWithTheWaysOut() throws Exception {
        try (ServerSocket squatter = new ServerSocket()) {
            squatter.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0));
            PostroomProcess server = PostroomProcess.create()
                .with("postroom.port.submission", String.valueOf(squatter.getLocalPort()));

            PostroomProcess.Result result = server.startExpectingFailure();

            assertThat(result.exitCode()).isNotZero();
            assertThat(result.output())
                .contains("ERROR: cannot listen on 127.0.0.1:" + squatter.getLocalPort() + " (postroom.port.submission)")
                .contains("conf/postroom.properties")
                .doesNotContain("Exception");
        }
    }

    @Test
    void anUnknownSettingIsNamed() throws Exception {
        PostroomProcess server = PostroomProcess.create();
        Files.writeString(server.home().resolve("conf/postroom.properties"), "\npostroom.relay.host=smtp.example.net\n",
            StandardCharsets.UTF_8, StandardOpenOption.APPEND);

        PostroomProcess.Result result = server.startExpectingFailure();

        assertThat(result.exitCode()).isEqualTo(2);
        assertThat(result.output()).contains("unknown setting(s) postroom.relay.host").doesNotContain("Exception");
    }

    @Test
    void aBadValueIsNamed() throws Exception {
        PostroomProcess server = PostroomProcess.create().with("postroom.port.imap", "imap");

        PostroomProcess.Result result = server.startExpectingFailure();

        assertThat(result.exitCode()).isEqualTo(2);
        assertThat(result.output()).contains("postroom.port.imap=imap is not a port number");
    }
}
