package org.postroom.server.lists;

import java.time.Clock;

import org.apache.james.UserEntityValidator;
import org.apache.james.dnsservice.api.DNSService;
import org.apache.james.domainlist.api.DomainList;
import org.postroom.auth.SenderOwnership;
import org.postroom.auth.dkim.DkimKeys;
import org.postroom.bounce.processing.DeliveryCounters;
import org.postroom.events.MailEventBus;
import org.postroom.lists.ListAddresses;
import org.postroom.lists.ListStore;
import org.postroom.lists.ModerationQueue;
import org.postroom.lists.SuppressionList;
import org.postroom.lists.UnsubscribeLinks;
import org.postroom.lists.delivery.FromMunging;
import org.postroom.server.delivery.DeliveryEngine;

import com.google.inject.AbstractModule;
import com.google.inject.Provides;
import com.google.inject.Scopes;
import com.google.inject.Singleton;
import com.google.inject.multibindings.Multibinder;
import com.google.inject.multibindings.OptionalBinder;

/**
 * Mailing lists: lists, members with their history and the installation's suppression list, stored in Derby
 * through JPA ({@link JpaListStore}, {@link JpaSuppressionList}); posts held for moderation in mail repositories
 * ({@link MailRepositoryModerationQueue}). A list's owners may send as the list ({@link ListOwnership}), and no
 * user, alias or group may take a list's address ({@link ListAddressValidator}).
 *
 * <p>Delivery of posts to members: the expansion that adds members to the outbound engine (bound by the delivery
 * module), and the composer of their copies. {@link UnsubscribeLinks} defaults to the list's
 * {@code LIST+unsubscribe@} command address; the unsubscribe module replaces it with signed links
 * ({@code OptionalBinder.newOptionalBinder(binder(), UnsubscribeLinks.class).setBinding().to(...)}).
 */
public class ListsModule extends AbstractModule {
    @Override
    protected void configure() {
        bind(JpaListStore.class).in(Scopes.SINGLETON);
        bind(JpaSuppressionList.class).in(Scopes.SINGLETON);
        bind(MailRepositoryModerationQueue.class).in(Scopes.SINGLETON);
        bind(ListArcSeal.class).in(Scopes.SINGLETON);
        bind(ListStore.class).to(JpaListStore.class);
        bind(SuppressionList.class).to(JpaSuppressionList.class);
        bind(ModerationQueue.class).to(MailRepositoryModerationQueue.class);
        Multibinder.newSetBinder(binder(), SenderOwnership.class).addBinding().to(ListOwnership.class);
        Multibinder.newSetBinder(binder(), UserEntityValidator.class).addBinding().to(ListAddressValidator.class);
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
