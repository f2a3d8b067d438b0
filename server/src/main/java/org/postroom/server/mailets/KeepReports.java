package org.postroom.server.mailets;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

import javax.inject.Inject;
import javax.mail.BodyPart;
import javax.mail.MessagingException;
import javax.mail.Multipart;
import javax.mail.Part;

import org.apache.james.core.MailAddress;
import org.apache.james.domainlist.api.DomainList;
import org.apache.james.domainlist.api.DomainListException;
import org.apache.mailet.Mail;
import org.apache.mailet.base.GenericMailet;
import org.postroom.server.ServerSettings;
import org.postroom.server.reports.ReceivedReports;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Mail to {@code tls-reports@} and {@code dmarc-reports@} of a local domain (the addresses {@code postroom dns} prints
 * in the {@code _smtp._tls} and {@code _dmarc} records) is read as aggregate reports — TLS-RPT (RFC 8460) and DMARC
 * (RFC 7489) — and kept by {@link ReceivedReports} for {@code postroom report list|show}; those recipients are then
 * done. A message in which no report could be read goes on to the postmaster instead, so nothing is lost.
 * <pre>{@code
 * <mailet match="All" class="org.postroom.server.mailets.KeepReports"/>
 * }</pre>
 */
public class KeepReports extends GenericMailet {
    private static final Logger LOGGER = LoggerFactory.getLogger(KeepReports.class);
    static final String TLS_ADDRESS = "tls-reports";
    static final String DMARC_ADDRESS = "dmarc-reports";
    private static final int MAX_PARTS = 20;
    private static final int MAX_DEPTH = 3;

    private final ReceivedReports reports;
    private final DomainList domains;
    private final String postmaster;

    @Inject
    public KeepReports(ReceivedReports reports, DomainList domains, ServerSettings server) {
        this.reports = reports;
        this.domains = domains;
        this.postmaster = server.postmaster();
    }

    @Override
    public void service(Mail mail) throws MessagingException {
        List<MailAddress> others = new ArrayList<>();
        List<MailAddress> reportAddresses = new ArrayList<>();
        for (MailAddress recipient : mail.getRecipients()) {
            if (kind(recipient).isPresent()) {
                reportAddresses.add(recipient);
            } else {
                others.add(recipient);
            }
        }
        if (reportAddresses.isEmpty()) {
            return;
        }
        String from = mail.getMaybeSender().asString("<>");
        boolean unread = false;
        for (MailAddress recipient : reportAddresses) {
            ReceivedReports.Kind kind = kind(recipient).get();
            List<String> kept = new ArrayList<>();
            List<String> problems = new ArrayList<>();
            try {
                for (byte[] attachment : attachments(mail.getMessage(), kind)) {
                    try {
                        ObjectNode summary = reports.keep(kind, attachment, from);
                        kept.add(summary.path("id").asText());
                        LOGGER.info("report received {} id={} kind={} domain={} organization={} passed={} failed={} from=<{}>",
                            mail.getName(), summary.path("id").asText(), summary.path("kind").asText(), summary.path("domain").asText(),
                            summary.path("organization").asText(), summary.path("passed").asLong(), summary.path("failed").asLong(), from);
                    } catch (ReceivedReports.Unreadable e) {
                        problems.add(e.getMessage());
                    }
                }
            } catch (IOException e) {
                problems.add(e.toString());
            }
            if (kept.isEmpty()) {
                unread = true;
                LOGGER.info("report unreadable {} to=<{}> from=<{}>: {}; passed on to the postmaster", mail.getName(), recipient, from,
                    problems.isEmpty() ? "no report attachment" : String.join("; ", problems));
            }
        }
        if (unread && others.stream().noneMatch(address -> address.asString().equalsIgnoreCase(postmaster))) {
            try {
                others.add(new MailAddress(postmaster));
            } catch (javax.mail.internet.AddressException e) {
                throw new MessagingException("postroom.postmaster is not an address: " + postmaster, e);
            }
        }
        mail.setRecipients(others);
        if (others.isEmpty()) {
            mail.setState(Mail.GHOST);
        }
    }

    private Optional<ReceivedReports.Kind> kind(MailAddress recipient) {
        String local = recipient.getLocalPart().toLowerCase(Locale.ROOT);
        Optional<ReceivedReports.Kind> kind = local.equals(TLS_ADDRESS) ? Optional.of(ReceivedReports.Kind.TLS)
            : local.equals(DMARC_ADDRESS) ? Optional.of(ReceivedReports.Kind.DMARC) : Optional.empty();
        if (kind.isEmpty()) {
            return kind;
        }
        try {
            return domains.containsDomain(recipient.getDomain()) ? kind : Optional.empty();
        } catch (DomainListException e) {
            LOGGER.warn("cannot tell whether {} is a local domain: {}", recipient.getDomain().asString(), e.toString());
            return Optional.empty();
        }
    }

    /** The parts that may hold a report of that kind, by media type or file name, at most {@value #MAX_PARTS}. */
    static List<byte[]> attachments(Part message, ReceivedReports.Kind kind) throws MessagingException, IOException {
        List<byte[]> found = new ArrayList<>();
        collect(message, kind, found, 0);
        return found;
    }

    private static void collect(Part part, ReceivedReports.Kind kind, List<byte[]> found, int depth)
        throws MessagingException, IOException {
        if (found.size() >= MAX_PARTS) {
            return;
        }
        if (part.isMimeType("multipart/*")) {
            if (depth >= MAX_DEPTH) {
                return;
            }
            Multipart multipart = (Multipart) part.getContent();
            for (int i = 0; i < Math.min(multipart.getCount(), MAX_PARTS); i++) {
                BodyPart child = multipart.getBodyPart(i);
                collect(child, kind, found, depth + 1);
            }
            return;
        }
        String name = Optional.ofNullable(part.getFileName()).orElse("").toLowerCase(Locale.ROOT);
        boolean report = kind == ReceivedReports.Kind.TLS
            ? part.isMimeType("application/tlsrpt+gzip") || part.isMimeType("application/tlsrpt+json") || name.endsWith(".json.gz")
                || name.endsWith(".json")
            : part.isMimeType("application/gzip") || part.isMimeType("application/x-gzip") || part.isMimeType("application/zip")
                || part.isMimeType("application/x-zip-compressed") || part.isMimeType("text/xml") || part.isMimeType("application/xml")
                || name.endsWith(".xml.gz") || name.endsWith(".zip") || name.endsWith(".xml");
        if (report) {
            found.add(read(part.getInputStream()));
        }
    }

    /** At most one byte more than a report may have, so that {@link ReceivedReports#keep} can tell it is too large. */
    private static byte[] read(InputStream in) throws IOException {
        try (in) {
            return in.readNBytes(ReceivedReports.MAX_COMPRESSED + 1);
        }
    }
}
