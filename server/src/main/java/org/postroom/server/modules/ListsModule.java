package org.postroom.server.modules;

import org.postroom.lists.ListStore;
import org.postroom.lists.SuppressionList;
import org.postroom.server.lists.JpaListStore;
import org.postroom.server.lists.JpaSuppressionList;

import com.google.inject.AbstractModule;
import com.google.inject.Scopes;

/**
 * Mailing lists: lists, members with their history and the installation's suppression list, stored in Derby
 * through JPA ({@link JpaListStore}, {@link JpaSuppressionList}).
 */
public class ListsModule extends AbstractModule {
    @Override
    protected void configure() {
        bind(JpaListStore.class).in(Scopes.SINGLETON);
        bind(JpaSuppressionList.class).in(Scopes.SINGLETON);
        bind(ListStore.class).to(JpaListStore.class);
        bind(SuppressionList.class).to(JpaSuppressionList.class);
    }
}
