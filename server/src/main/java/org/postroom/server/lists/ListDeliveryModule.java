package org.postroom.server.lists;

import javax.mail.MessagingException;

import org.apache.james.dnsservice.api.DNSService;
import org.apache.james.domainlist.api.DomainList;
import org.postroom.auth.dkim.DkimKeys;
import org.postroom.lists.ListAddresses;
import org.postroom.lists.ListStore;
import org.postroom.lists.SuppressionList;
import org.postroom.lists.UnsubscribeLinks;
import org.postroom.lists.delivery.FromMunging;
import org.postroom.server.PostroomHome;
import org.postroom.server.PostroomSettings;
import org.postroom.server.mailets.DeliverRemotely;

import com.google.inject.AbstractModule;
import com.google.inject.Provides;
import com.google.inject.Singleton;
import com.google.inject.multibindings.OptionalBinder;

/**
 * Delivery of list posts to members: the fan-out engine and what it needs. {@link UnsubscribeLinks} defaults to
 * the list's {@code LIST+unsubscribe@} command address; the unsubscribe module replaces it with
 * {@code OptionalBinder.newOptionalBinder(binder(), UnsubscribeLinks.class).setBinding().to(...)}. The list and
 * suppression stores are bound by the lists module.
 */
public class ListDeliveryModule extends AbstractModule {
    @Override
    protected void configure() {
        OptionalBinder.newOptionalBinder(binder(), UnsubscribeLinks.class).setDefault().toInstance(UnsubscribeLinks.commandAddressOnly());
    }

    @Provides
    @Singleton
    FanoutEngine engine(ListStore lists, SuppressionList suppressions, UnsubscribeLinks links, DkimKeys keys, DNSService dns,
                        DomainList domains, PostroomSettings settings, PostroomHome home,
                        org.postroom.bounce.processing.DeliveryCounters counters, ListAddresses addresses) throws MessagingException, java.net.UnknownHostException {
        FanoutEngine engine = new FanoutEngine(lists, suppressions, links, keys,
            new DnsRoutes(dns, domains, DeliverRemotely.smarthostParameters(settings, home)),
            addresses,
            new PostJournal(home.var().resolve("lists").resolve("posts")),
            settings.hostname(), Integer.parseInt(settings.get("postroom.lists.connections")));
        engine.countInto(counters);
        return engine;
    }

    @Provides
    @Singleton
    FromMunging munging(DNSService dns) {
        return new FromMunging(name -> dns.findTXTRecords(name).stream().map(TxtRecords::text).toList());
    }
}
