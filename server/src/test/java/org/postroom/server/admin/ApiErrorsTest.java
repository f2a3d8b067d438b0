package org.postroom.server.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;

import spark.HaltException;

/** One mapping of admin errors: status, James's error type and the message as given (a '%' in it included). */
class ApiErrorsTest {
    /** James's {@code haltError()} throws the halt itself (Spark's way); each method's result is never reached. */
    static HaltException halt(ThrowingCallable error) {
        Throwable thrown = catchThrowable(error);
        assertThat(thrown).isInstanceOf(HaltException.class);
        return (HaltException) thrown;
    }

    @Test
    void eachErrorHasItsStatusTypeAndMessage() {
        assertThat(halt(() -> ApiErrors.badRequest("limit must be a whole number, got '5%'")).statusCode()).isEqualTo(400);
        assertThat(halt(() -> ApiErrors.badRequest("limit must be a whole number, got '5%'")).body())
            .contains("\"InvalidArgument\"").contains("got '5%'");
        assertThat(halt(() -> ApiErrors.notFound("no list news@example.org")).statusCode()).isEqualTo(404);
        assertThat(halt(() -> ApiErrors.notFound("no list news@example.org")).body()).contains("\"notFound\"");
        assertThat(halt(() -> ApiErrors.conflict("list news@example.org already exists")).statusCode()).isEqualTo(409);
        assertThat(halt(() -> ApiErrors.serverError("cannot read the outbound queue: disk")).statusCode()).isEqualTo(500);
        assertThat(halt(() -> ApiErrors.serverError("cannot read the outbound queue: disk")).body()).contains("\"ServerError\"");
    }
}
