package org.postroom.server.lists;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;

import org.junit.jupiter.api.Test;

class SmtpConnectionTest {

    /** A smarthost that offers AUTH but no STARTTLS, recording every command it is sent. */
    @Test
    void theSmarthostPasswordIsNeverSentWithoutTls() throws Exception {
        List<String> commands = new CopyOnWriteArrayList<>();
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Thread smarthost = new Thread(() -> {
                try (Socket client = server.accept()) {
                    BufferedReader in = new BufferedReader(new InputStreamReader(client.getInputStream(), StandardCharsets.US_ASCII));
                    OutputStream out = client.getOutputStream();
                    out.write("220 relay.example ESMTP\r\n".getBytes(StandardCharsets.US_ASCII));
                    for (String line = in.readLine(); line != null; line = in.readLine()) {
                        commands.add(line);
                        String reply = line.startsWith("EHLO") ? "250-relay.example\r\n250 AUTH PLAIN LOGIN\r\n"
                            : line.startsWith("QUIT") ? "221 bye\r\n" : "235 ok\r\n";
                        out.write(reply.getBytes(StandardCharsets.US_ASCII));
                    }
                } catch (java.io.IOException e) {
                    // the client hung up
                }
            });
            smarthost.start();
            SmtpConnection.Target target = new SmtpConnection.Target("relay.example", InetAddress.getLoopbackAddress(),
                server.getLocalPort(), false, Optional.of("postroom"), Optional.of("s3cret"));

            assertThatThrownBy(() -> SmtpConnection.open(target, "mail.example.org").close())
                .isInstanceOf(SmtpConnection.ConnectionFailure.class)
                .hasMessageContaining("offers no STARTTLS");
            smarthost.join(10_000);
        }
        assertThat(commands).anySatisfy(command -> assertThat(command).startsWith("EHLO"))
            .noneSatisfy(command -> assertThat(command).startsWith("AUTH"));
    }
}
