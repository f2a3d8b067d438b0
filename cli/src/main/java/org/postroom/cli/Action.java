package org.postroom.cli;

import java.util.concurrent.Callable;

import com.fasterxml.jackson.databind.JsonNode;

import picocli.CommandLine.Option;

/** A command that does something through the admin API; the helpers answer the questions most of them ask first. */
abstract class Action implements Callable<Integer> {
    /** For commands that print data. */
    static final class JsonOption {
        @Option(names = "--json", description = "Print JSON instead of aligned columns.")
        boolean json;
    }

    final Session session;

    Action(Session session) {
        this.session = session;
    }

    AdminApi api() {
        return session.api();
    }

    /** Fails with exit code 3 unless the domain is one of the server's. */
    void requireLocalDomain(String domain) {
        AdminApi.Response response = api().get("/domains/" + AdminApi.segment(domain));
        if (response.status() == 404) {
            throw CliException.notFound("domain " + domain + " is not a local domain (postroom domain add " + domain
                + ")");
        }
        require(response, "look up domain " + domain);
    }

    boolean domainExists(String domain) {
        AdminApi.Response response = api().get("/domains/" + AdminApi.segment(domain));
        if (response.status() == 404) {
            return false;
        }
        require(response, "look up domain " + domain);
        return true;
    }

    boolean userExists(String address) {
        AdminApi.Response response = api().send("HEAD", "/users/" + AdminApi.segment(address), null);
        if (response.status() == 404) {
            return false;
        }
        require(response, "look up user " + address);
        return true;
    }

    /** Fails when the address is a mailing list's: a user or alias must not shadow it. */
    void refuseListAddress(String address) {
        AdminApi.Response response = api().get("/postroom/lists/" + AdminApi.segment(address));
        if (response.ok()) {
            throw CliException.failure(address + " is the address of a mailing list (postroom list show " + address
                + ")");
        }
    }

    /** The answer when it is a success, else a failure carrying the server's message. */
    static AdminApi.Response require(AdminApi.Response response, String what) {
        if (!response.ok()) {
            throw CliException.failure("cannot " + what + ": " + response.message());
        }
        return response;
    }

    static JsonNode requireJson(AdminApi.Response response, String what) {
        return require(response, what).json();
    }
}
