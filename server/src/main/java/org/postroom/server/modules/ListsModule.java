package org.postroom.server.modules;

import org.postroom.lists.ListStore;
import org.postroom.lists.SuppressionList;
import org.postroom.lists.memory.MemoryListStore;
import org.postroom.lists.memory.MemorySuppressionList;

import com.google.inject.AbstractModule;
import com.google.inject.Scopes;

/** Mailing lists: where lists, members and the installation's suppression list are stored. */
public class ListsModule extends AbstractModule {
    @Override
    protected void configure() {
        bind(MemoryListStore.class).in(Scopes.SINGLETON);
        bind(MemorySuppressionList.class).in(Scopes.SINGLETON);
        bind(ListStore.class).to(MemoryListStore.class);
        bind(SuppressionList.class).to(MemorySuppressionList.class);
    }
}
