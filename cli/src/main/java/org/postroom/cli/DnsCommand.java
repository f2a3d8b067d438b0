package org.postroom.cli;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

@Command(name = "dns",
    header = "Print the DNS records a mail domain needs.",
    description = "Print, ready to paste into the domain's zone, every record the postmaster must publish for DOMAIN: "
        + "MX, SPF, the DKIM key(s), DMARC, and the SRV records with which mail clients find the server (RFC 6186, "
        + "RFC 8314). The host name and ports are the server's own settings.",
    footerHeading = "%nExamples:%n",
    footer = {"  postroom dns example.org", "  postroom dns example.org --json"})
final class DnsCommand extends Action {
    record DnsRecord(String name, String type, String value, String comment) {
    }

    @Parameters(paramLabel = "DOMAIN", description = "A local domain.")
    String domain;

    @Mixin
    JsonOption output;

    DnsCommand(Session session) {
        super(session);
    }

    @Override
    public Integer call() {
        String name = Names.domain(domain);
        requireLocalDomain(name);
        JsonNode status = requireJson(api().get("/postroom/status"), "read the server settings");
        JsonNode keys = requireJson(api().get("/postroom/dkim"), "list DKIM keys");
        List<DnsRecord> records = records(name, status.path("hostname").asText(), status.path("ports"), keys);
        if (output.json) {
            List<Map<String, String>> json = new ArrayList<>();
            for (DnsRecord record : records) {
                Map<String, String> entry = new LinkedHashMap<>();
                entry.put("name", record.name());
                entry.put("type", record.type());
                entry.put("value", record.value());
                entry.put("comment", record.comment());
                json.add(entry);
            }
            session.printJson(json);
            return 0;
        }
        session.out.println("; DNS records for " + name + ", served by " + status.path("hostname").asText() + ".");
        int width = records.stream().mapToInt(record -> record.name().length()).max().orElse(0) + 1;
        for (DnsRecord record : records) {
            if (!record.comment().isEmpty()) {
                session.out.println("; " + record.comment());
            }
            String value = record.type().equals("TXT") ? DkimCommand.zoneText(record.value()) : record.value();
            session.out.println(String.format("%-" + width + "s IN %-4s %s", record.name(), record.type(), value).stripTrailing());
        }
        if (records.stream().noneMatch(record -> record.name().contains("._domainkey."))) {
            session.out.println("; No DKIM key yet: run postroom dkim generate " + name + ", then publish its record.");
        }
        return 0;
    }

    static List<DnsRecord> records(String domain, String hostname, JsonNode ports, JsonNode keys) {
        String origin = domain + ".";
        String host = hostname + ".";
        List<DnsRecord> records = new ArrayList<>();
        records.add(new DnsRecord(origin, "MX", "10 " + host,
            "Mail for " + domain + " goes to " + hostname + ", which needs an A (and AAAA) record with this server's"
                + " public address, and a matching PTR record at your provider."));
        records.add(new DnsRecord(origin, "TXT", "v=spf1 mx -all",
            "SPF: only the MX hosts send mail for " + domain + ". Add include:... for any other service sending as it."));
        for (JsonNode key : keys) {
            if (key.path("domain").asText().equals(domain)) {
                boolean active = key.path("active").asBoolean();
                records.add(new DnsRecord(key.path("dnsName").asText() + ".", "TXT", key.path("dnsRecord").asText(),
                    "DKIM selector " + key.path("selector").asText() + (active ? " (signing now)."
                        : " (retired: keep it published a few days after a rotation, then remove it).")));
            }
        }
        records.add(new DnsRecord("_dmarc." + origin, "TXT", "v=DMARC1; p=none; rua=mailto:postmaster@" + domain,
            "DMARC: p=none only collects reports. Once they show all your mail passes, tighten to p=quarantine,"
                + " then p=reject."));
        records.add(srv("_submissions._tcp." + origin, 0, ports.path("smtps").asInt(465), host, "Mail clients (RFC 6186/8314):"
            + " submission over TLS first, then STARTTLS; IMAP before POP3."));
        records.add(srv("_submission._tcp." + origin, 5, ports.path("submission").asInt(587), host, ""));
        records.add(srv("_imaps._tcp." + origin, 0, ports.path("imaps").asInt(993), host, ""));
        records.add(srv("_imap._tcp." + origin, 5, ports.path("imap").asInt(143), host, ""));
        records.add(srv("_pop3s._tcp." + origin, 10, ports.path("pop3s").asInt(995), host, ""));
        records.add(srv("_pop3._tcp." + origin, 15, ports.path("pop3").asInt(110), host, ""));
        return records;
    }

    private static DnsRecord srv(String name, int priority, int port, String host, String comment) {
        return new DnsRecord(name, "SRV", priority + " 1 " + port + " " + host, comment);
    }
}
