package org.postroom.server.admin;

import org.apache.james.webadmin.utils.ErrorResponder;
import org.eclipse.jetty.http.HttpStatus;
import org.postroom.server.admin.ApiErrors;

/**
 * The one mapping of the admin API's errors to HTTP answers, for every route: the status, James's error type and a
 * message that names the problem, as the JSON body {@code {"statusCode":..,"type":..,"message":..}}. Each throws
 * Spark's halt at once (James's {@code haltError()} does), which Spark turns into the answer; the declared result
 * lets a caller write {@code throw ApiErrors.notFound("...")} so the compiler sees the path end. The message is
 * used as given (never as a format string: a {@code %} in what a client sent cannot break it).
 */
public final class ApiErrors {
    private ApiErrors() {
    }

    /** 400: the request is wrong (a parameter, the body). */
    public static RuntimeException badRequest(String message) {
        return error(HttpStatus.BAD_REQUEST_400, ErrorResponder.ErrorType.INVALID_ARGUMENT, message);
    }

    /** 404: what the request names does not exist. */
    public static RuntimeException notFound(String message) {
        return error(HttpStatus.NOT_FOUND_404, ErrorResponder.ErrorType.NOT_FOUND, message);
    }

    /** 409: the request is right but clashes with what exists. */
    public static RuntimeException conflict(String message) {
        return error(HttpStatus.CONFLICT_409, ErrorResponder.ErrorType.INVALID_ARGUMENT, message);
    }

    /** 500: the server could not do it (the log says more). */
    public static RuntimeException serverError(String message) {
        return error(HttpStatus.INTERNAL_SERVER_ERROR_500, ErrorResponder.ErrorType.SERVER_ERROR, message);
    }

    private static RuntimeException error(int status, ErrorResponder.ErrorType type, String message) {
        return ErrorResponder.builder().statusCode(status).type(type).message(message).haltError();
    }
}
