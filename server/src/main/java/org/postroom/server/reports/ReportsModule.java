package org.postroom.server.reports;

import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntSupplier;

import javax.inject.Singleton;

import org.apache.james.lifecycle.api.LifecycleUtil;
import org.apache.james.server.core.MailImpl;
import org.apache.james.utils.InitializationOperation;
import org.apache.james.utils.InitilizationOperationBuilder;
import org.apache.mailet.MailAddress;
import org.apache.mailet.MailetContext;
import org.postroom.server.PostroomHome;
import org.postroom.server.ServerSettings;
import org.postroom.server.delivery.policy.TlsReportSender;
import org.postroom.server.delivery.policy.TlsReports;
import org.postroom.server.dns.PostroomDnsService;

import com.google.inject.AbstractModule;
import com.google.inject.Provides;
import com.google.inject.multibindings.ProvidesIntoSet;

/**
 * Aggregate reports. Those others send us ({@link ReceivedReports}, {@link ReportRoutes}). Those we send daily: the DMARC counts of inbound mail ({@link DmarcReports}, fed by the SMTP hook that
 * evaluates DMARC), the TLS-RPT counts of outbound sessions (kept by the delivery engine), their senders, which hand
 * report mail to the mailet container as the postmaster ({@code postroom.postmaster}), and the schedule that runs them.
 */
public class ReportsModule extends AbstractModule {
    @Override
    protected void configure() {
        com.google.inject.multibindings.Multibinder.newSetBinder(binder(), org.apache.james.webadmin.Routes.class)
            .addBinding().to(ReportRoutes.class);
    }

    @Provides
    @Singleton
    ReceivedReports receivedReports(PostroomHome home) {
        return new ReceivedReports(home.var().resolve("reports/received"), Clock.systemUTC());
    }

    @Provides
    @Singleton
    DmarcReports dmarcReports(PostroomHome home) {
        return new DmarcReports(home.var().resolve("dmarc-reports"), Clock.systemUTC());
    }

    @Provides
    @Singleton
    ReportSchedule schedule(ReportSettings settings, DmarcReports dmarc, TlsReports tls, PostroomDnsService dns,
                            MailetContext mailetContext, ServerSettings server) {
        String organization = settings.organization().orElse(server.hostname());
        ReportMail.Reporter reporter = new ReportMail.Reporter(organization, "mailto:" + server.postmaster(), server.hostname(),
            server.postmaster());
        ReportMail.Outbox outbox = (from, to, message) -> {
            MailImpl mail = MailImpl.builder().name(MailImpl.getId()).sender(new MailAddress(from)).addRecipient(new MailAddress(to))
                .mimeMessage(message).build();
            try {
                mailetContext.sendMail(mail);
            } finally {
                LifecycleUtil.dispose(mail);
            }
        };
        List<IntSupplier> senders = new ArrayList<>();
        if (settings.tlsReports()) {
            senders.add(new TlsReportSender(tls, dns, outbox, reporter)::sendDue);
        }
        if (settings.dmarcReports()) {
            senders.add(new DmarcReportSender(dmarc, dns, outbox, reporter)::sendDue);
        }
        return new ReportSchedule(List.of(tls::flush, dmarc::flush), senders);
    }

    @ProvidesIntoSet
    InitializationOperation startReports(ReportSchedule schedule) {
        return InitilizationOperationBuilder.forClass(ReportSchedule.class).init(schedule::start);
    }
}
