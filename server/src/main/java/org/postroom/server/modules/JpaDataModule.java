package org.postroom.server.modules;

import java.util.Set;

import org.apache.commons.configuration2.BaseHierarchicalConfiguration;
import org.apache.james.AggregateUserEntityValidator;
import org.apache.james.DefaultUserEntityValidator;
import org.apache.james.RecipientRewriteTableUserEntityValidator;
import org.apache.james.UserEntityValidator;
import org.apache.james.rrt.ForwardUsernameChangeTaskStep;
import org.apache.james.user.api.DelegationUsernameChangeTaskStep;
import org.apache.james.user.api.UsernameChangeTaskStep;
import org.apache.james.domainlist.api.DomainList;
import org.apache.james.domainlist.jpa.JPADomainList;
import org.apache.james.mailrepository.api.MailRepositoryFactory;
import org.apache.james.mailrepository.api.MailRepositoryUrlStore;
import org.apache.james.mailrepository.api.Protocol;
import org.apache.james.mailrepository.jpa.JPAMailRepositoryUrlStore;
import org.apache.james.mailrepository.memory.MailRepositoryStoreConfiguration;
import org.apache.james.rrt.api.AliasReverseResolver;
import org.apache.james.rrt.api.CanSendFrom;
import org.apache.james.rrt.api.RecipientRewriteTable;
import org.apache.james.rrt.jpa.JPARecipientRewriteTable;
import org.apache.james.rrt.lib.AliasReverseResolverImpl;
import org.apache.james.rrt.lib.CanSendFromImpl;
import org.apache.james.user.api.UsersRepository;
import org.apache.james.user.jpa.JPAUsersRepository;
import org.postroom.server.data.CachingJpaDomainList;
import org.postroom.server.data.CachingJpaRecipientRewriteTable;
import org.postroom.server.data.CachingJpaUsersRepository;
import org.postroom.server.data.DurableJpaMailRepository;
import org.postroom.server.data.DurableJpaMailRepositoryFactory;

import com.google.common.collect.ImmutableList;
import com.google.inject.AbstractModule;
import com.google.inject.Provides;
import com.google.inject.Scopes;
import com.google.inject.Singleton;
import com.google.inject.multibindings.Multibinder;

/**
 * Server data on JPA: the domain list, users, the recipient rewrite table (aliases, forwards, groups) and the
 * mail repositories ({@code jpa://} URLs) where the mailet container parks mail for the postmaster. The domain
 * list, users and rewrite table configure themselves as they are built (see {@code CachingJpaDomainList}).
 */
public class JpaDataModule extends AbstractModule {
    @Override
    protected void configure() {
        // James's JPA domain list and users, with an exact in-memory answer to "does it exist?" (asked per recipient).
        bind(CachingJpaDomainList.class).in(Scopes.SINGLETON);
        bind(JPADomainList.class).to(CachingJpaDomainList.class);
        bind(DomainList.class).to(JPADomainList.class);

        bind(CachingJpaUsersRepository.class).in(Scopes.SINGLETON);
        bind(JPAUsersRepository.class).to(CachingJpaUsersRepository.class);
        bind(UsersRepository.class).to(JPAUsersRepository.class);

        // Aliases, forwards and groups, resolved for every recipient of every mail: cached, emptied by every change.
        bind(CachingJpaRecipientRewriteTable.class).in(Scopes.SINGLETON);
        bind(JPARecipientRewriteTable.class).to(CachingJpaRecipientRewriteTable.class);
        bind(RecipientRewriteTable.class).to(JPARecipientRewriteTable.class);
        bind(AliasReverseResolverImpl.class).in(Scopes.SINGLETON);
        bind(AliasReverseResolver.class).to(AliasReverseResolverImpl.class);
        bind(CanSendFromImpl.class).in(Scopes.SINGLETON);
        bind(CanSendFrom.class).to(CanSendFromImpl.class);

        bind(JPAMailRepositoryUrlStore.class).in(Scopes.SINGLETON);
        bind(MailRepositoryUrlStore.class).to(JPAMailRepositoryUrlStore.class);
        // jpa:// repositories that take any mail: bounded fields fitted, the database's refusals kept on disk.
        bind(MailRepositoryStoreConfiguration.Item.class).toProvider(() -> new MailRepositoryStoreConfiguration.Item(
            ImmutableList.of(new Protocol("jpa")), DurableJpaMailRepository.class.getName(), new BaseHierarchicalConfiguration()));
        Multibinder.newSetBinder(binder(), MailRepositoryFactory.class).addBinding().to(DurableJpaMailRepositoryFactory.class);

        // A new user must not shadow an alias or group address, and the other way round.
        Multibinder<UserEntityValidator> validators = Multibinder.newSetBinder(binder(), UserEntityValidator.class);
        validators.addBinding().to(DefaultUserEntityValidator.class);
        validators.addBinding().to(RecipientRewriteTableUserEntityValidator.class);

        Multibinder<UsernameChangeTaskStep> renameSteps = Multibinder.newSetBinder(binder(), UsernameChangeTaskStep.class);
        renameSteps.addBinding().to(ForwardUsernameChangeTaskStep.class);
        renameSteps.addBinding().to(DelegationUsernameChangeTaskStep.class);
    }

    @Provides
    @Singleton
    UserEntityValidator provideUserEntityValidator(Set<UserEntityValidator> validators) {
        return new AggregateUserEntityValidator(validators);
    }
}
