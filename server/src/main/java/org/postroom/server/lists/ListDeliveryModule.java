package org.postroom.server.lists;

import java.time.Clock;

import org.apache.james.dnsservice.api.DNSService;
import org.apache.james.domainlist.api.DomainList;
import org.postroom.auth.dkim.DkimKeys;
import org.postroom.bounce.processing.DeliveryCounters;
import org.postroom.events.MailEventBus;
import org.postroom.lists.ListAddresses;
import org.postroom.lists.ListStore;
import org.postroom.lists.SuppressionList;
import org.postroom.lists.UnsubscribeLinks;
import org.postroom.lists.delivery.FromMunging;
import org.postroom.server.delivery.DeliveryEngine;

import com.google.inject.AbstractModule;
import com.google.inject.Provides;
import com.google.inject.Singleton;
import com.google.inject.multibindings.OptionalBinder;

/**
 * Delivery of list posts to members: the expansion that adds members to the outbound engine, and the composer of
 * their copies. {@link UnsubscribeLinks} defaults to the list's {@code LIST+unsubscribe@} command address; the
 * unsubscribe module replaces it with
 * {@code OptionalBinder.newOptionalBinder(binder(), UnsubscribeLinks.class).setBinding().to(...)}. The list and
 * suppression stores are bound by the lists module, the engine by the delivery module.
 */
public class ListDeliveryModule extends AbstractModule {
    @Override
    protected void configure() {
        OptionalBinder.newOptionalBinder(binder(), UnsubscribeLinks.class).setDefault().toInstance(UnsubscribeLinks.commandAddressOnly());
    }

    @Provides
    @Singleton
    ListExpansion expansion(DeliveryEngine engine, ListStore lists, SuppressionList suppressions, UnsubscribeLinks links,
                            DkimKeys keys, DomainList domains, DeliveryCounters counters, ListAddresses addresses, MailEventBus bus) {
        ListCopies copies = new ListCopies(engine.store(), lists, links, keys, addresses);
        return new ListExpansion(engine, lists, suppressions, domains, copies, counters, bus, Clock.systemUTC());
    }

    @Provides
    @Singleton
    FromMunging munging(DNSService dns) {
        return new FromMunging(name -> dns.findTXTRecords(name).stream().map(TxtRecords::text).toList());
    }
}
