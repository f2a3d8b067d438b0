package org.postroom.server.modules;

import org.apache.james.UserEntityValidator;
import org.postroom.auth.SenderOwnership;
import org.postroom.lists.ListStore;
import org.postroom.lists.ModerationQueue;
import org.postroom.lists.SuppressionList;
import org.postroom.server.lists.JpaListStore;
import org.postroom.server.lists.JpaSuppressionList;
import org.postroom.server.lists.ListAddressValidator;
import org.postroom.server.lists.ListOwnership;
import org.postroom.server.lists.MailRepositoryModerationQueue;

import com.google.inject.AbstractModule;
import com.google.inject.Scopes;
import com.google.inject.multibindings.Multibinder;

/**
 * Mailing lists: lists, members with their history and the installation's suppression list, stored in Derby
 * through JPA ({@link JpaListStore}, {@link JpaSuppressionList}); posts held for moderation in mail repositories
 * ({@link MailRepositoryModerationQueue}). A list's owners may send as the list ({@link ListOwnership}), and no
 * user, alias or group may take a list's address ({@link ListAddressValidator}).
 */
public class ListsModule extends AbstractModule {
    @Override
    protected void configure() {
        bind(JpaListStore.class).in(Scopes.SINGLETON);
        bind(JpaSuppressionList.class).in(Scopes.SINGLETON);
        bind(MailRepositoryModerationQueue.class).in(Scopes.SINGLETON);
        bind(ListStore.class).to(JpaListStore.class);
        bind(SuppressionList.class).to(JpaSuppressionList.class);
        bind(ModerationQueue.class).to(MailRepositoryModerationQueue.class);
        Multibinder.newSetBinder(binder(), SenderOwnership.class).addBinding().to(ListOwnership.class);
        Multibinder.newSetBinder(binder(), UserEntityValidator.class).addBinding().to(ListAddressValidator.class);
    }
}
