package org.postroom.cli;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "dns",
    header = "Print the DNS records a mail domain needs.",
    description = "Print, ready to paste into the domain's zone, every record the postmaster must publish for DOMAIN: "
        + "MX, SPF, the DKIM key(s), DMARC, and the SRV records with which mail clients find the server (RFC 6186, "
        + "RFC 8314). The host name and ports are the server's own settings.",
    footerHeading = "%nExamples:%n",
    footer = {"  postroom dns example.org", "  postroom dns example.org --json", "  postroom dns check example.org",
        "  postroom dns check example.org --server 127.0.0.1"},
    subcommands = {DnsCommand.Check.class})
final class DnsCommand extends Action {
    record DnsRecord(String name, String type, String value, String comment) {
    }

    @Parameters(paramLabel = "DOMAIN", arity = "0..1", description = "A local domain.")
    String domain;

    @Mixin
    JsonOption output;

    DnsCommand(Session session) {
        super(session);
    }

    @Override
    public Integer call() {
        if (domain == null) {
            throw CliException.usage("postroom dns needs a DOMAIN (or: postroom dns check DOMAIN)");
        }
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
                    "DKIM selector " + key.path("selector").asText()
                        + (key.path("algorithm").asText("rsa").equals("ed25519") ? ", Ed25519 key for the second signature (RFC 8463)" : "")
                        + (active ? " (signing now)."
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

    /** What {@code dns check} found for one expected record. */
    record Finding(DnsRecord expected, String status, String detail, boolean required) {
        boolean failed() {
            return required && !status.equals("ok");
        }
    }

    @Command(name = "check",
        description = "Look the records of 'postroom dns DOMAIN' up in DNS and say which are missing or wrong. "
            + "Exit code 1 when a required record (MX, the host's address, SPF, active DKIM key, DMARC, the PTR of each"
            + " outbound pool's address naming its EHLO name and resolving back) is missing or wrong; SRV records and"
            + " retired DKIM keys are reported but optional.",
        footerHeading = "%nExamples:%n",
        footer = {"  postroom dns check example.org", "  postroom dns check example.org --server 9.9.9.9 --json"})
    static final class Check extends Action {
        @Parameters(paramLabel = "DOMAIN", description = "A local domain.")
        String domain;

        @Option(names = "--server", paramLabel = "HOST[:PORT]",
            description = "Ask this DNS server (default: the first of postroom.dns.servers, else the system's).")
        String server;

        @Mixin
        JsonOption output;

        Check(Session session) {
            super(session);
        }

        @Override
        public Integer call() {
            String name = Names.domain(domain);
            requireLocalDomain(name);
            JsonNode status = requireJson(api().get("/postroom/status"), "read the server settings");
            JsonNode keys = requireJson(api().get("/postroom/dkim"), "list DKIM keys");
            String hostname = status.path("hostname").asText();
            String dnsServer = server != null ? server
                : java.util.Arrays.stream(session.setting("postroom.dns.servers", "").split("[,\\s]+"))
                    .filter(entry -> !entry.isEmpty()).findFirst().orElse(null);
            DnsLookup dns = new DnsLookup(dnsServer);
            List<Finding> findings = new ArrayList<>();
            try {
                findings.add(checkAddress(dns, hostname));
                for (DnsRecord record : records(name, hostname, status.path("ports"), keys)) {
                    findings.add(check(dns, record));
                }
                AdminApi.Response pools = api().get("/postroom/delivery/pools");
                if (pools.status() == 200) {
                    for (JsonNode pool : requireJson(pools, "list the outbound pools")) {
                        if (!pool.path("bind").isNull() && !pool.path("bind").asText().isEmpty()) {
                            findings.add(checkReverse(dns, pool.path("name").asText(), pool.path("bind").asText(),
                                pool.path("helo").asText()));
                        }
                    }
                }
            } catch (DnsLookup.Unreachable e) {
                throw CliException.failure("cannot query DNS: " + e.getMessage() + " (try --server HOST)");
            }
            if (output.json) {
                List<Map<String, Object>> json = new ArrayList<>();
                for (Finding finding : findings) {
                    Map<String, Object> entry = new LinkedHashMap<>();
                    entry.put("name", finding.expected().name());
                    entry.put("type", finding.expected().type());
                    entry.put("status", finding.status());
                    entry.put("required", finding.required());
                    entry.put("detail", finding.detail());
                    json.add(entry);
                }
                session.printJson(json);
            } else {
                Table table = new Table("RECORD", "TYPE", "STATUS", "DETAIL");
                findings.forEach(finding -> table.add(finding.expected().name(), finding.expected().type(),
                    finding.status() + (finding.required() ? "" : " (optional)"), finding.detail()));
                table.print(session.out);
                session.out.println("Asked " + dns.server() + ". Expected values: postroom dns " + name);
            }
            return findings.stream().anyMatch(Finding::failed) ? CliException.FAILURE : CliException.OK;
        }
    }

    static Finding checkAddress(DnsLookup dns, String hostname) throws DnsLookup.Unreachable {
        DnsRecord expected = new DnsRecord(hostname + ".", "A", "", "");
        List<String> addresses = new ArrayList<>(dns.query(hostname, "A"));
        addresses.addAll(dns.query(hostname, "AAAA"));
        return addresses.isEmpty()
            ? new Finding(expected, "missing", "the MX host has no A/AAAA record", true)
            : new Finding(expected, "ok", String.join(", ", addresses), true);
    }

    /**
     * An outbound pool's address: its PTR record must name the pool's EHLO name, and that name must resolve back to
     * the address (forward-confirmed reverse DNS, which Gmail, Yahoo and Microsoft require of senders).
     */
    static Finding checkReverse(DnsLookup dns, String pool, String address, String helo) throws DnsLookup.Unreachable {
        DnsRecord expected = new DnsRecord(reverseName(address), "PTR", helo + ".", "pool " + pool);
        List<String> names = dns.query(reverseName(address), "PTR");
        if (names.isEmpty()) {
            return new Finding(expected, "missing", "pool " + pool + ": no PTR for " + address + " (ask its provider for one"
                + " naming " + helo + ")", true);
        }
        if (names.stream().noneMatch(found -> sameHost(found, helo))) {
            return new Finding(expected, "wrong", "pool " + pool + ": " + address + " is named " + String.join(", ", names)
                + ", not its EHLO name " + helo, true);
        }
        List<String> forward = new ArrayList<>(dns.query(helo, "A"));
        forward.addAll(dns.query(helo, "AAAA"));
        if (forward.stream().noneMatch(found -> sameAddress(found, address))) {
            return new Finding(expected, "wrong", "pool " + pool + ": " + helo + " does not resolve back to " + address
                + (forward.isEmpty() ? " (no address)" : " (" + String.join(", ", forward) + ")"), true);
        }
        return new Finding(expected, "ok", "pool " + pool + ": " + address + " <-> " + helo, true);
    }

    /** {@code 10.2.0.192.in-addr.arpa.} or the nibbles of an IPv6 address under {@code ip6.arpa.} */
    static String reverseName(String address) {
        try {
            byte[] bytes = java.net.InetAddress.getByName(address).getAddress();
            StringBuilder name = new StringBuilder();
            if (bytes.length == 4) {
                for (int i = 3; i >= 0; i--) {
                    name.append(bytes[i] & 0xff).append('.');
                }
                return name.append("in-addr.arpa.").toString();
            }
            for (int i = bytes.length - 1; i >= 0; i--) {
                name.append(Character.forDigit(bytes[i] & 0xf, 16)).append('.').append(Character.forDigit((bytes[i] >> 4) & 0xf, 16)).append('.');
            }
            return name.append("ip6.arpa.").toString();
        } catch (java.net.UnknownHostException e) {
            throw CliException.usage("not an address: " + address);
        }
    }

    private static boolean sameAddress(String a, String b) {
        try {
            return java.net.InetAddress.getByName(a.strip()).equals(java.net.InetAddress.getByName(b.strip()));
        } catch (java.net.UnknownHostException e) {
            return false;
        }
    }

    static Finding check(DnsLookup dns, DnsRecord expected) throws DnsLookup.Unreachable {
        String name = expected.name();
        return switch (expected.type()) {
            case "MX" -> {
                List<String> found = dns.query(name, "MX");
                String target = expected.value().substring(expected.value().indexOf(' ') + 1);
                boolean match = found.stream().anyMatch(mx -> sameHost(mx.substring(mx.indexOf(' ') + 1), target));
                yield found.isEmpty() ? new Finding(expected, "missing", "no MX record", true)
                    : match ? new Finding(expected, "ok", String.join(", ", found), true)
                    : new Finding(expected, "wrong", "points to " + String.join(", ", found) + ", not " + target, true);
            }
            case "SRV" -> {
                List<String> found = dns.query(name, "SRV");
                String[] want = expected.value().split(" ");
                boolean match = found.stream().map(srv -> srv.split(" ")).anyMatch(have -> have.length == 4
                    && have[2].equals(want[2]) && sameHost(have[3], want[3]));
                yield found.isEmpty() ? new Finding(expected, "missing", "mail clients cannot discover the server", false)
                    : match ? new Finding(expected, "ok", String.join(", ", found), false)
                    : new Finding(expected, "wrong", "is " + String.join(", ", found) + ", expected " + expected.value(), false);
            }
            default -> checkTxt(dns, expected);
        };
    }

    private static Finding checkTxt(DnsLookup dns, DnsRecord expected) throws DnsLookup.Unreachable {
        String prefix = expected.value().substring(0, expected.value().indexOf(';') > 0 ? expected.value().indexOf(';')
            : expected.value().indexOf(' ')).toLowerCase(java.util.Locale.ROOT);
        List<String> found = dns.query(expected.name(), "TXT").stream().map(DnsLookup::joinTxt)
            .filter(txt -> txt.toLowerCase(java.util.Locale.ROOT).startsWith(prefix)).toList();
        boolean retiredKey = expected.comment().contains("(retired");
        boolean required = !retiredKey;
        if (found.isEmpty()) {
            return new Finding(expected, "missing", "publish: " + abbreviate(expected.value()), required);
        }
        if (found.size() > 1) {
            return new Finding(expected, "wrong", found.size() + " records where receivers accept exactly one", required);
        }
        String record = found.get(0);
        if (prefix.equals("v=dkim1")) {
            return publicKey(record).equals(publicKey(expected.value()))
                ? new Finding(expected, "ok", "matches the key in var/dkim", required)
                : new Finding(expected, "wrong", "publishes another key than var/dkim holds", required);
        }
        if (prefix.equals("v=spf1") && record.matches("(?i).*[+?]all\\s*$")) {
            return new Finding(expected, "wrong", record + " (lets anyone send as the domain; use -all)", required);
        }
        return new Finding(expected, "ok", record, required);
    }

    private static String publicKey(String record) {
        for (String tag : record.split(";")) {
            String trimmed = tag.strip();
            if (trimmed.startsWith("p=")) {
                return trimmed.substring(2).replaceAll("\\s", "");
            }
        }
        return "";
    }

    private static boolean sameHost(String a, String b) {
        return a.strip().replaceAll("\\.$", "").equalsIgnoreCase(b.strip().replaceAll("\\.$", ""));
    }

    private static String abbreviate(String value) {
        return value.length() > 60 ? value.substring(0, 57) + "..." : value;
    }

    private static DnsRecord srv(String name, int priority, int port, String host, String comment) {
        return new DnsRecord(name, "SRV", priority + " 1 " + port + " " + host, comment);
    }
}
