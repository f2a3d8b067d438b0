package org.postroom.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;

import org.junit.jupiter.api.Test;

/** The admin API stays on loopback and takes only signed tokens that expire. */
class AdminApiSecurityTest {
    @Test
    void aNonLoopbackAdminAddressStopsTheStart() throws Exception {
        try (PostroomProcess server = PostroomProcess.create().with("postroom.admin.address", "0.0.0.0")) {
            PostroomProcess.Result result = server.startExpectingFailure();

            assertThat(result.exitCode()).isEqualTo(2);
            assertThat(result.output()).contains("postroom.admin.address=0.0.0.0 is not a loopback address")
                .doesNotContain("Exception");
        }
    }

    @Test
    void tokensMustCarryAnExpiryNotTooFarAhead() throws Exception {
        try (PostroomProcess server = PostroomProcess.create().start()) {
            long now = Instant.now().getEpochSecond();
            AdminClient admin = server.admin();

            assertThat(admin.sendWithClaims("GET", "/domains", "{\"sub\":\"admin@localhost\",\"admin\":true,\"iat\":"
                + now + ",\"exp\":" + (now + 60) + "}").statusCode()).isEqualTo(200);
            var withoutExp = admin.sendWithClaims("GET", "/domains", "{\"sub\":\"admin@localhost\",\"admin\":true,\"iat\":"
                + now + "}");
            assertThat(withoutExp.statusCode()).isEqualTo(401);
            assertThat(withoutExp.body()).contains("without exp");
            assertThat(admin.sendWithClaims("GET", "/domains", "{\"sub\":\"admin@localhost\",\"admin\":true,\"exp\":"
                + (now + 400 * 86400L) + "}").statusCode()).isEqualTo(401);
            assertThat(admin.sendWithClaims("GET", "/domains", "{\"sub\":\"admin@localhost\",\"admin\":true,\"exp\":"
                + (now - 10) + "}").statusCode()).isEqualTo(401);
            assertThat(admin.sendWithClaims("GET", "/domains", "{\"sub\":\"admin@localhost\",\"exp\":"
                + (now + 60) + "}").statusCode()).isEqualTo(401);
        }
    }
}
