package org.postroom.server.unsubscribe;

import java.nio.file.Path;
import java.time.Clock;
import java.util.Optional;

import org.apache.james.core.Domain;
import org.apache.james.domainlist.api.DomainList;
import org.apache.james.domainlist.api.DomainListException;
import org.apache.james.utils.InitializationOperation;
import org.apache.james.utils.InitilizationOperationBuilder;
import org.apache.james.webadmin.Routes;
import org.postroom.lists.ListAddresses;
import org.postroom.lists.ListStore;
import org.postroom.lists.UnsubscribeLinks;
import org.postroom.lists.tokens.SignedUnsubscribeLinks;
import org.postroom.lists.tokens.Tokens;
import org.postroom.lists.tokens.VerpTags;
import org.eclipse.jetty.server.handler.HandlerList;
import org.postroom.server.ListenerSettings;
import org.postroom.server.PostroomHome;
import org.postroom.server.ServerSettings;
import org.postroom.server.tls.KeyMaterial;
import org.postroom.server.wellknown.Autoconfig;
import org.postroom.server.wellknown.MtaStsSettings;
import org.postroom.server.wellknown.WellKnownHandler;

import com.google.inject.AbstractModule;
import com.google.inject.Provides;
import com.google.inject.Singleton;
import com.google.inject.multibindings.Multibinder;
import com.google.inject.multibindings.OptionalBinder;
import com.google.inject.multibindings.ProvidesIntoSet;

/**
 * Unsubscribe and subscription machinery: the token signing keys (var/secrets/token-keys), the VERP tags and list
 * address grammar that share them, the signed
 * {@link UnsubscribeLinks} expansion writes into every member's copy, the public listener (one-click unsubscribe, and
 * the well-known files of the local domains: MTA-STS policy, mail client autoconfiguration), and the admin routes
 * behind {@code postroom unsubscribe}.
 */
public class UnsubscribeModule extends AbstractModule {
    @Override
    protected void configure() {
        OptionalBinder.newOptionalBinder(binder(), UnsubscribeLinks.class).setBinding().to(SignedUnsubscribeLinks.class);
        Multibinder.newSetBinder(binder(), Routes.class).addBinding().to(UnsubscribeRoutes.class);
    }

    @Provides
    @Singleton
    TokenKeyStore provideKeyStore(PostroomHome home, PublicSettings settings) {
        return new TokenKeyStore(home, settings.unsubscribeGrace(), Clock.systemUTC());
    }

    @Provides
    @Singleton
    Tokens provideTokens(TokenKeyStore keys, PublicSettings settings) {
        return new Tokens(keys::keyRing, keys.grace(), settings.confirmLifetime(), Clock.systemUTC());
    }

    /** The VERP tags of list copies: the same installation secret, lifetime {@code postroom.bounce.copy.lifetime}. */
    @Provides
    @Singleton
    VerpTags provideVerpTags(TokenKeyStore keys, org.postroom.bounce.processing.BounceSettings bounces) {
        return new VerpTags(keys::keyRing, keys.grace(), bounces.copyLifetime(), Clock.systemUTC());
    }

    /** The grammar of list addresses ({@code postroom.lists.verp}). */
    @Provides
    @Singleton
    ListAddresses provideListAddresses(VerpTags tags, org.postroom.server.lists.ListSettings settings) {
        return new ListAddresses(settings.verp(), tags);
    }

    @Provides
    @Singleton
    SignedUnsubscribeLinks provideLinks(Tokens tokens, PublicSettings settings) {
        return new SignedUnsubscribeLinks(tokens, Optional.of(settings.url()));
    }

    @Provides
    @Singleton
    PublicListener providePublicListener(PublicSettings settings, Tokens tokens, ListStore lists,
                                         org.postroom.events.MailEvents events, KeyMaterial.TlsFiles tls,
                                         MtaStsSettings mtaSts, ServerSettings server, ListenerSettings listeners,
                                         DomainList domains) {
        PublicListener.Options options = new PublicListener.Options(settings.address(), settings.port(), settings.tls(),
            tls.certificate().toAbsolutePath(), tls.privateKey().toAbsolutePath(),
            settings.timeout(), settings.connectionsMax());
        WellKnownHandler wellKnown = new WellKnownHandler(mtaSts.policy(), Autoconfig.of(server.hostname(), listeners),
            domain -> isLocal(domains, domain));
        OneClickHandler oneClick = new OneClickHandler(tokens, lists, new ClientAddress(settings.trustedProxies()), events);
        return new PublicListener(options, new HandlerList(wellKnown, oneClick));
    }

    private static boolean isLocal(DomainList domains, String domain) {
        try {
            return domains.containsDomain(Domain.of(domain));
        } catch (DomainListException e) {
            throw new IllegalStateException("cannot read the domain list: " + e.getMessage(), e);
        }
    }

    @ProvidesIntoSet
    InitializationOperation startPublicListener(PublicListener listener) {
        return InitilizationOperationBuilder.forClass(PublicListener.class).init(listener::start);
    }
}
