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
        + "MX, SPF, the DKIM key(s), DMARC, MTA-STS (RFC 8461: the _mta-sts TXT record whose id follows the policy the "
        + "public listener serves, and the mta-sts host name), TLS reporting (RFC 8460), and the SRV records with which "
        + "mail clients find the server (RFC 6186, RFC 8314). The host name and ports are the server's own settings.",
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
        List<DnsRecord> records = records(name, status, keys);
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

    /** The records of {@code domain} from the server's {@code /postroom/status} and {@code /postroom/dkim} answers. */
    static List<DnsRecord> records(String domain, JsonNode status, JsonNode keys) {
        String hostname = status.path("hostname").asText();
        JsonNode ports = status.path("ports");
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
        records.add(new DnsRecord("_dmarc." + origin, "TXT", "v=DMARC1; p=none; rua=mailto:dmarc-reports@" + domain,
            "DMARC: p=none only collects reports (they arrive at dmarc-reports@" + domain + ": postroom report list)."
                + " Once they show all your mail passes, tighten to p=quarantine, then p=reject."));
        JsonNode mtaSts = status.path("mtaSts");
        if (mtaSts.hasNonNull("id")) {
            records.add(new DnsRecord("_mta-sts." + origin, "TXT", "v=STSv1; id=" + mtaSts.path("id").asText(),
                "MTA-STS (RFC 8461): senders deliver to " + domain + " only over TLS to the MX of its policy (mode "
                    + mtaSts.path("mode").asText() + "). The id changes with the policy (postroom.mta-sts.*): publish"
                    + " the new one after each change, or senders keep the policy they cached."));
            records.add(new DnsRecord("mta-sts." + origin, "CNAME", publicHost(status) + ".",
                "Senders fetch the policy from https://mta-sts." + domain + "/.well-known/mta-sts.txt: point this name"
                    + " at the public listener (a CNAME, or A/AAAA records), which must answer HTTPS there with a"
                    + " certificate valid for mta-sts." + domain + " (postroom.public.tls=true with such a"
                    + " certificate, or the reverse proxy): without a valid certificate senders ignore the policy."));
        }
        records.add(new DnsRecord("_smtp._tls." + origin, "TXT", "v=TLSRPTv1; rua=mailto:tls-reports@" + domain,
            "TLS reporting (RFC 8460): senders mail daily reports of TLS failures delivering to " + domain
                + " there; create that address (e.g. postroom alias add tls-reports@" + domain + " postmaster@" + domain
                + ")."));
        records.add(srv("_submissions._tcp." + origin, 0, ports.path("smtps").asInt(465), host, "Mail clients (RFC 6186/8314):"
            + " submission over TLS first, then STARTTLS; IMAP before POP3."));
        records.add(srv("_submission._tcp." + origin, 5, ports.path("submission").asInt(587), host, ""));
        records.add(srv("_imaps._tcp." + origin, 0, ports.path("imaps").asInt(993), host, ""));
        records.add(srv("_imap._tcp." + origin, 5, ports.path("imap").asInt(143), host, ""));
        records.add(srv("_pop3s._tcp." + origin, 10, ports.path("pop3s").asInt(995), host, ""));
        records.add(srv("_pop3._tcp." + origin, 15, ports.path("pop3").asInt(110), host, ""));
        return records;
    }

    /** The host of {@code postroom.public.url} (the public listener as the world reaches it), else the host name. */
    static String publicHost(JsonNode status) {
        String url = status.path("publicUrl").asText("");
        try {
            String host = url.isEmpty() ? null : java.net.URI.create(url).getHost();
            return host == null ? status.path("hostname").asText() : host;
        } catch (IllegalArgumentException e) {
            return status.path("hostname").asText();
        }
    }

    static final String OK = "ok";
    static final String MISSING = "missing";
    static final String MISMATCH = "mismatch";

    /**
     * What {@code dns check} found for one expected record: {@value #OK}, {@value #MISSING} or {@value #MISMATCH},
     * what was found, and how to fix it (empty when ok).
     */
    record Finding(DnsRecord expected, String status, String detail, boolean required, String fix) {
        /** A finding whose fix is to publish the expected record. */
        Finding(DnsRecord expected, String status, String detail, boolean required) {
            this(expected, status, detail, required, status.equals(OK) ? ""
                : "publish " + expected.name() + " IN " + expected.type() + " "
                    + (expected.type().equals("TXT") ? "\"" + expected.value() + "\"" : expected.value()));
        }

        boolean failed() {
            return required && !status.equals(OK);
        }
    }

    @Command(name = "check",
        description = "Look the records of 'postroom dns DOMAIN' up in DNS and say of each OK, MISSING or MISMATCH, with"
            + " how to fix it. Also checks that each EHLO name resolves (A/AAAA) and that each outbound address has a PTR"
            + " naming its pool's EHLO name which resolves back to it (forward-confirmed reverse DNS); an address is a"
            + " pool's bind address, or, for a pool without one (default), each address of its EHLO name. "
            + "Exit code 1 when a required record (MX, the host's address, SPF, active DKIM key, DMARC, _mta-sts with"
            + " the id of the policy the server serves now and every MX matching its mx patterns, the mta-sts host,"
            + " _smtp._tls, EHLO names and reverse DNS)"
            + " is missing or mismatched; SRV records and retired DKIM keys are reported but optional.",
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
                for (DnsRecord record : records(name, status, keys)) {
                    findings.add(check(dns, record, status.path("mtaSts")));
                }
                AdminApi.Response pools = api().get("/postroom/delivery/pools");
                if (pools.status() == 200) {
                    findings.addAll(checkPools(dns, hostname, requireJson(pools, "list the outbound pools")));
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
                    entry.put("fix", finding.fix().isEmpty() ? null : finding.fix());
                    json.add(entry);
                }
                session.printJson(json);
            } else {
                Table table = new Table("RECORD", "TYPE", "STATUS", "DETAIL");
                findings.forEach(finding -> table.add(finding.expected().name(), finding.expected().type(),
                    finding.status().toUpperCase(java.util.Locale.ROOT) + (finding.required() ? "" : " (optional)"),
                    finding.detail()));
                table.print(session.out);
                List<Finding> toFix = findings.stream().filter(finding -> !finding.fix().isEmpty()).toList();
                if (!toFix.isEmpty()) {
                    session.out.println("To fix:");
                    toFix.forEach(finding -> session.out.println("  " + finding.expected().name() + " "
                        + finding.expected().type() + ": " + finding.fix()));
                }
                session.out.println("Asked " + dns.server() + ". Expected values: postroom dns " + name);
            }
            return findings.stream().anyMatch(Finding::failed) ? CliException.FAILURE : CliException.OK;
        }
    }

    static Finding checkAddress(DnsLookup dns, String hostname) throws DnsLookup.Unreachable {
        return checkAddress(dns, hostname, "the MX host");
    }

    /** {@code name} has an A or AAAA record; {@code what} says what the name is for. */
    static Finding checkAddress(DnsLookup dns, String name, String what) throws DnsLookup.Unreachable {
        DnsRecord expected = new DnsRecord(name + ".", "A", "", "");
        List<String> addresses = addresses(dns, name);
        return addresses.isEmpty()
            ? new Finding(expected, MISSING, what + " has no A/AAAA record", true,
                "publish " + name + ". IN A (and AAAA) with the server's public address")
            : new Finding(expected, OK, String.join(", ", addresses), true, "");
    }

    private static List<String> addresses(DnsLookup dns, String name) throws DnsLookup.Unreachable {
        List<String> addresses = new ArrayList<>(dns.query(name, "A"));
        addresses.addAll(dns.query(name, "AAAA"));
        return addresses;
    }

    /**
     * The outbound side, pool by pool ({@code /postroom/delivery/pools}): each EHLO name other than the host name
     * (checked already) resolves; each outbound address has forward-confirmed reverse DNS matching its pool's EHLO
     * name. A pool without a bind address sends from the system's address, taken to be its EHLO name's.
     */
    static List<Finding> checkPools(DnsLookup dns, String hostname, JsonNode pools) throws DnsLookup.Unreachable {
        List<Finding> findings = new ArrayList<>();
        java.util.Set<String> namesChecked = new java.util.HashSet<>(List.of(hostname.toLowerCase(java.util.Locale.ROOT)));
        java.util.Set<String> addressesChecked = new java.util.HashSet<>();
        for (JsonNode pool : pools) {
            String poolName = pool.path("name").asText();
            String helo = pool.path("helo").asText(hostname);
            if (namesChecked.add(helo.toLowerCase(java.util.Locale.ROOT))) {
                findings.add(checkAddress(dns, helo, "the EHLO name of pool " + poolName));
            }
            String bind = pool.path("bind").isNull() ? "" : pool.path("bind").asText("");
            List<String> sources = bind.isEmpty() ? addresses(dns, helo) : List.of(bind);
            for (String address : sources) {
                if (addressesChecked.add(address + " " + helo)) {
                    findings.add(checkReverse(dns, poolName, address, helo));
                }
            }
        }
        return findings;
    }

    /**
     * An outbound pool's address: its PTR record must name the pool's EHLO name, and that name must resolve back to
     * the address (forward-confirmed reverse DNS, which Gmail, Yahoo and Microsoft require of senders).
     */
    static Finding checkReverse(DnsLookup dns, String pool, String address, String helo) throws DnsLookup.Unreachable {
        DnsRecord expected = new DnsRecord(reverseName(address), "PTR", helo + ".", "pool " + pool);
        List<String> names = dns.query(reverseName(address), "PTR");
        String askProvider = "ask the provider of " + address + " to set its PTR (reverse DNS) to " + helo;
        if (names.isEmpty()) {
            return new Finding(expected, MISSING, "pool " + pool + ": no PTR for " + address, true, askProvider);
        }
        if (names.stream().noneMatch(found -> sameHost(found, helo))) {
            return new Finding(expected, MISMATCH, "pool " + pool + ": " + address + " is named " + String.join(", ", names)
                + ", not its EHLO name " + helo, true, askProvider + ", or set pool." + pool + ".helo to the name it has"
                + " (if that name resolves back to " + address + ")");
        }
        List<String> forward = addresses(dns, helo);
        if (forward.stream().noneMatch(found -> sameAddress(found, address))) {
            return new Finding(expected, MISMATCH, "pool " + pool + ": " + helo + " does not resolve back to " + address
                + (forward.isEmpty() ? " (no address)" : " (" + String.join(", ", forward) + ")"), true,
                "add " + address + " to the A/AAAA records of " + helo + " (forward-confirmed reverse DNS)");
        }
        return new Finding(expected, OK, "pool " + pool + ": " + address + " <-> " + helo, true, "");
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

    /** One expected record; {@code mtaSts} is the policy the server serves now (its id and mx patterns). */
    static Finding check(DnsLookup dns, DnsRecord expected, JsonNode mtaSts) throws DnsLookup.Unreachable {
        String name = expected.name();
        return switch (expected.type()) {
            case "MX" -> {
                List<String> found = dns.query(name, "MX");
                String target = expected.value().substring(expected.value().indexOf(' ') + 1);
                boolean match = found.stream().anyMatch(mx -> sameHost(mx.substring(mx.indexOf(' ') + 1), target));
                yield found.isEmpty() ? new Finding(expected, MISSING, "no MX record", true)
                    : match ? new Finding(expected, OK, String.join(", ", found), true)
                    : new Finding(expected, MISMATCH, "points to " + String.join(", ", found) + ", not " + target, true);
            }
            case "SRV" -> {
                List<String> found = dns.query(name, "SRV");
                String[] want = expected.value().split(" ");
                boolean match = found.stream().map(srv -> srv.split(" ")).anyMatch(have -> have.length == 4
                    && have[2].equals(want[2]) && sameHost(have[3], want[3]));
                yield found.isEmpty() ? new Finding(expected, MISSING, "mail clients cannot discover the server", false)
                    : match ? new Finding(expected, OK, String.join(", ", found), false)
                    : new Finding(expected, MISMATCH, "is " + String.join(", ", found) + ", expected " + expected.value(), false);
            }
            case "CNAME" -> checkHost(dns, expected);
            default -> expected.name().startsWith("_mta-sts.") ? checkMtaSts(dns, expected, mtaSts)
                : expected.name().startsWith("_smtp._tls.") ? checkTlsReporting(dns, expected)
                : checkTxt(dns, expected);
        };
    }

    /** A name that must reach a host: the expected CNAME, or addresses of its own. */
    private static Finding checkHost(DnsLookup dns, DnsRecord expected) throws DnsLookup.Unreachable {
        String name = expected.name();
        List<String> aliases = dns.query(name, "CNAME");
        if (aliases.stream().anyMatch(alias -> sameHost(alias, expected.value()))) {
            return new Finding(expected, OK, "-> " + String.join(", ", aliases), true);
        }
        if (!aliases.isEmpty()) {
            return new Finding(expected, MISMATCH, "-> " + String.join(", ", aliases) + ", not " + expected.value(), true,
                "point " + name + " at the public listener: CNAME " + expected.value() + " (or at a proxy that serves"
                    + " its /.well-known/ paths)");
        }
        List<String> addresses = addresses(dns, name);
        return addresses.isEmpty() ? new Finding(expected, MISSING, "the name does not resolve", true)
            : new Finding(expected, OK, String.join(", ", addresses) + " (A/AAAA: make sure it is the public listener)", true);
    }

    /** {@code _mta-sts}: exactly one v=STSv1 record, whose id is the one of the policy served now. */
    private static Finding checkMtaSts(DnsLookup dns, DnsRecord expected, JsonNode policy) throws DnsLookup.Unreachable {
        String serverId = policy.path("id").asText();
        List<String> found = txt(dns, expected.name(), "v=STSv1");
        if (found.isEmpty()) {
            return new Finding(expected, MISSING, "senders see no MTA-STS policy", true);
        }
        if (found.size() > 1) {
            return new Finding(expected, MISMATCH, found.size() + " v=STSv1 records where senders accept exactly one"
                + " (RFC 8461 §3.1)", true, "keep only \"" + expected.value() + "\"");
        }
        String id = tag(found.get(0), "id");
        if (!id.matches("[A-Za-z0-9]{1,32}")) {
            return new Finding(expected, MISMATCH, found.get(0) + " (id must be 1 to 32 letters or digits)", true);
        }
        if (!id.equals(serverId)) {
            return new Finding(expected, MISMATCH, "id=" + id + ", but the policy served now has id=" + serverId
                + ": senders keep their cached policy", true);
        }
        List<String> patterns = new ArrayList<>();
        policy.path("mx").forEach(pattern -> patterns.add(pattern.asText()));
        String domain = expected.name().substring("_mta-sts.".length());
        List<String> uncovered = new ArrayList<>();
        for (String mx : dns.query(domain, "MX")) {
            String host = mx.substring(mx.indexOf(' ') + 1).strip().replaceAll("\\.$", "");
            if (!patterns.isEmpty() && patterns.stream().noneMatch(pattern -> mxMatches(pattern, host))) {
                uncovered.add(host);
            }
        }
        if (!uncovered.isEmpty()) {
            return new Finding(expected, MISMATCH, "MX " + String.join(", ", uncovered) + " matches no mx of the policy ("
                + String.join(", ", patterns) + "): senders enforcing it would not deliver there", true,
                "add " + String.join(", ", uncovered) + " to postroom.mta-sts.mx (then publish the new id), or remove"
                    + " that MX");
        }
        return new Finding(expected, OK, found.get(0), true);
    }

    /** RFC 8461 §4.1: a pattern is a host name, or {@code *.} matching exactly one more label on the left. */
    static boolean mxMatches(String pattern, String host) {
        if (pattern.startsWith("*.")) {
            int dot = host.indexOf('.');
            return dot > 0 && host.substring(dot + 1).equalsIgnoreCase(pattern.substring(2));
        }
        return sameHost(pattern, host);
    }

    /** {@code _smtp._tls}: exactly one v=TLSRPTv1 record with a rua= of mailto: or https: addresses (RFC 8460 §3). */
    private static Finding checkTlsReporting(DnsLookup dns, DnsRecord expected) throws DnsLookup.Unreachable {
        List<String> found = txt(dns, expected.name(), "v=TLSRPTv1");
        if (found.isEmpty()) {
            return new Finding(expected, MISSING, "senders send no TLS reports", true);
        }
        if (found.size() > 1) {
            return new Finding(expected, MISMATCH, found.size() + " v=TLSRPTv1 records where senders accept exactly one",
                true, "keep only \"" + expected.value() + "\"");
        }
        String record = found.get(0);
        String[] fields = record.split(";");
        boolean versionFirst = fields[0].strip().equals("v=TLSRPTv1");
        String rua = tag(record, "rua");
        boolean addresses = !rua.isEmpty() && java.util.Arrays.stream(rua.split(",")).map(String::strip)
            .allMatch(uri -> uri.matches("mailto:[^@\\s,;!]+@[A-Za-z0-9.-]+\\.[A-Za-z0-9-]+")
                || uri.matches("https://[^\\s,;]+"));
        if (!versionFirst || !addresses) {
            return new Finding(expected, MISMATCH, record + " (needs v=TLSRPTv1 first, then rua= with mailto: or https:"
                + " addresses separated by commas)", true);
        }
        return new Finding(expected, OK, record, true);
    }

    /** The TXT records at {@code name} starting with {@code version} (case-insensitive), their strings joined. */
    private static List<String> txt(DnsLookup dns, String name, String version) throws DnsLookup.Unreachable {
        String prefix = version.toLowerCase(java.util.Locale.ROOT);
        return dns.query(name, "TXT").stream().map(DnsLookup::joinTxt)
            .filter(txt -> txt.toLowerCase(java.util.Locale.ROOT).startsWith(prefix)).toList();
    }

    /** The value of {@code key=} among the {@code ;}-separated fields of a record; empty when absent. */
    static String tag(String record, String key) {
        for (String field : record.split(";")) {
            String trimmed = field.strip();
            int equals = trimmed.indexOf('=');
            if (equals > 0 && trimmed.substring(0, equals).strip().equals(key)) {
                return trimmed.substring(equals + 1).strip();
            }
        }
        return "";
    }

    private static Finding checkTxt(DnsLookup dns, DnsRecord expected) throws DnsLookup.Unreachable {
        String prefix = expected.value().substring(0, expected.value().indexOf(';') > 0 ? expected.value().indexOf(';')
            : expected.value().indexOf(' ')).toLowerCase(java.util.Locale.ROOT);
        List<String> found = dns.query(expected.name(), "TXT").stream().map(DnsLookup::joinTxt)
            .filter(txt -> txt.toLowerCase(java.util.Locale.ROOT).startsWith(prefix)).toList();
        boolean retiredKey = expected.comment().contains("(retired");
        boolean required = !retiredKey;
        if (found.isEmpty()) {
            return new Finding(expected, MISSING, "publish: " + abbreviate(expected.value()), required);
        }
        if (found.size() > 1) {
            return new Finding(expected, MISMATCH, found.size() + " records where receivers accept exactly one", required);
        }
        String record = found.get(0);
        if (prefix.equals("v=dkim1")) {
            return publicKey(record).equals(publicKey(expected.value()))
                ? new Finding(expected, OK, "matches the key in var/dkim", required)
                : new Finding(expected, MISMATCH, "publishes another key than var/dkim holds", required);
        }
        if (prefix.equals("v=spf1") && record.matches("(?i).*[+?]all\\s*$")) {
            return new Finding(expected, MISMATCH, record + " (lets anyone send as the domain; use -all)", required,
                "end the SPF record with -all (only the listed senders may send as the domain)");
        }
        return new Finding(expected, OK, record, required);
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
