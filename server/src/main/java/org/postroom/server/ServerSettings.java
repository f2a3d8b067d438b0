package org.postroom.server;

import java.util.List;
import java.util.Map;

import org.postroom.server.dns.DnsServers;

/**
 * Who this server is: its host name (HELO, Received, the TLS certificate it generates), the organization's domain,
 * the postmaster's address, the DNS resolvers it asks, and the format of its log.
 */
public record ServerSettings(String hostname, String domain, String postmaster, List<String> dnsServers, String logFormat) {
    static final String NAME = "[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?";

    static final Map<String, String> DEFAULTS = SettingsReader.declare(
        "postroom.hostname", "localhost",
        "postroom.domain", "localhost",
        "postroom.postmaster", "",
        "postroom.dns.servers", "",
        "postroom.log.format", "text");

    static ServerSettings read(SettingsReader in) {
        String hostname = in.text("postroom.hostname", NAME, "is not a host name");
        String domain = in.text("postroom.domain", NAME, "is not a domain name");
        String postmaster = in.text("postroom.postmaster");
        if (postmaster.isEmpty()) {
            postmaster = "postmaster@" + domain;
        } else if (!postmaster.matches("[^@\\s]+@[A-Za-z0-9.-]+")) {
            in.problem("postroom.postmaster=" + postmaster + " is not a mail address");
        }
        List<String> dnsServers = in.list("postroom.dns.servers");
        DnsServers.problems(dnsServers).forEach(in::problem);
        String logFormat = in.text("postroom.log.format", "text|json", "must be text or json");
        return new ServerSettings(hostname, domain, postmaster, dnsServers, logFormat);
    }
}
