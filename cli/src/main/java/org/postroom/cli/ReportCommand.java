package org.postroom.cli;

import com.fasterxml.jackson.databind.JsonNode;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "report",
    header = "Aggregate reports others sent about our domains: TLS-RPT and DMARC.",
    description = "The reports other mail systems mail to tls-reports@ (TLS-RPT, RFC 8460: which of our MX hosts failed "
        + "TLS for them) and dmarc-reports@ (DMARC, RFC 7489: who sends mail in our domains' names and whether it passes "
        + "SPF and DKIM) of our domains, the addresses postroom dns publishes. Kept in var/reports/received/.",
    synopsisSubcommandLabel = "ACTION",
    commandListHeading = "%nActions:%n",
    footerHeading = "%nExamples:%n",
    footer = {"  postroom report list", "  postroom report list --kind dmarc --domain example.org",
        "  postroom report show dmarc-0123456789abcdef", "  postroom report list --json"},
    subcommands = {ReportCommand.ListReports.class, ReportCommand.Show.class})
final class ReportCommand {
    private ReportCommand() {
    }

    @Command(name = "list",
        description = "List the reports received, newest first: id, kind, our domain, the reporting organization, the"
            + " period, and how many sessions (TLS) or messages (DMARC) passed and failed.",
        footerHeading = "%nExamples:%n", footer = {"  postroom report list", "  postroom report list --kind tls"})
    static final class ListReports extends Action {
        @Option(names = "--kind", paramLabel = "KIND", description = "tls or dmarc.")
        String kind;

        @Option(names = "--domain", paramLabel = "DOMAIN", description = "Only reports about this domain.")
        String domain;

        @Mixin
        JsonOption output;

        ListReports(Session session) {
            super(session);
        }

        @Override
        public Integer call() {
            if (kind != null && !kind.matches("tls|dmarc")) {
                throw CliException.usage("--kind must be tls or dmarc, not " + kind);
            }
            StringBuilder query = new StringBuilder();
            if (kind != null) {
                query.append("kind=").append(kind);
            }
            if (domain != null) {
                query.append(query.length() == 0 ? "" : "&").append("domain=").append(AdminApi.query(Names.domain(domain)));
            }
            JsonNode reports = requireJson(api().get("/postroom/reports" + (query.length() == 0 ? "" : "?" + query)), "list reports");
            if (output.json) {
                session.printJson(reports);
                return 0;
            }
            if (reports.isEmpty()) {
                session.out.println("No reports received" + (kind == null && domain == null ? "" : " that match"));
                return 0;
            }
            Table table = new Table("ID", "KIND", "DOMAIN", "FROM", "PERIOD", "PASSED", "FAILED");
            for (JsonNode report : reports) {
                table.add(report.path("id").asText(), report.path("kind").asText(), report.path("domain").asText(),
                    report.path("organization").asText(), report.path("start").asText() + " .. " + report.path("end").asText(),
                    report.path("passed").asLong(), report.path("failed").asLong());
            }
            table.print(session.out);
            return 0;
        }
    }

    @Command(name = "show",
        description = "Show one report: for TLS-RPT each policy with its session counts and the failures by type, MX host"
            + " and address; for DMARC each sending address with its count, disposition and results. Exit code 3 for an"
            + " unknown id.",
        footerHeading = "%nExamples:%n", footer = {"  postroom report show tls-0123456789abcdef"})
    static final class Show extends Action {
        @Parameters(paramLabel = "ID", description = "A report id, as postroom report list shows it.")
        String id;

        @Mixin
        JsonOption output;

        Show(Session session) {
            super(session);
        }

        @Override
        public Integer call() {
            if (!id.matches("(tls|dmarc)-[0-9a-f]{16}")) {
                throw CliException.usage("not a report id: " + id + " (postroom report list shows the ids)");
            }
            JsonNode report = BounceCommand.requireFound(api().get("/postroom/reports/" + id), "show report " + id);
            if (output.json) {
                session.printJson(report);
                return 0;
            }
            Table summary = Table.withoutHeader(2);
            summary.add("report:", report.path("id").asText() + " (" + report.path("kind").asText() + ")");
            summary.add("from:", report.path("organization").asText() + ", report id " + report.path("reportId").asText());
            summary.add("period:", report.path("start").asText() + " .. " + report.path("end").asText());
            summary.add("domain:", report.path("domain").asText());
            summary.add("passed:", report.path("passed").asText());
            summary.add("failed:", report.path("failed").asText());
            summary.print(session.out);
            session.out.println();
            if (report.path("kind").asText().equals("tls")) {
                Table failures = new Table("POLICY", "TYPE", "SESSIONS OK", "RESULT", "MX", "RECEIVING IP", "SENDING IP", "FAILED");
                for (JsonNode policy : report.path("policies")) {
                    if (policy.path("failures").isEmpty()) {
                        failures.add(policy.path("domain").asText(), policy.path("type").asText(), policy.path("successes").asLong(),
                            "-", "", "", "", 0);
                    }
                    for (JsonNode failure : policy.path("failures")) {
                        failures.add(policy.path("domain").asText(), policy.path("type").asText(), policy.path("successes").asLong(),
                            failure.path("result").asText(), failure.path("mx").asText(), failure.path("receivingIp").asText(),
                            failure.path("sendingIp").asText(), failure.path("sessions").asLong());
                    }
                }
                failures.print(session.out);
            } else {
                Table sources = new Table("SOURCE IP", "COUNT", "DISPOSITION", "DKIM", "SPF", "DMARC", "HEADER FROM", "ENVELOPE FROM");
                for (JsonNode source : report.path("sources")) {
                    sources.add(source.path("sourceIp").asText(), source.path("count").asLong(), source.path("disposition").asText(),
                        source.path("dkim").asText(), source.path("spf").asText(), source.path("dmarc").asText(),
                        source.path("headerFrom").asText(), source.path("envelopeFrom").asText());
                }
                sources.print(session.out);
            }
            return 0;
        }
    }
}
