package org.postroom.server.backup;

import org.apache.james.utils.InitializationOperation;
import org.apache.james.utils.InitilizationOperationBuilder;
import org.apache.james.webadmin.Routes;

import com.google.inject.AbstractModule;
import com.google.inject.Scopes;
import com.google.inject.multibindings.Multibinder;
import com.google.inject.multibindings.ProvidesIntoSet;

/** Online backups through the admin API, and the search index rebuild at the first start after a restore. */
public class BackupModule extends AbstractModule {
    @Override
    protected void configure() {
        bind(Backups.class).in(Scopes.SINGLETON);
        bind(SearchIndexRebuild.class).in(Scopes.SINGLETON);
        Multibinder.newSetBinder(binder(), Routes.class).addBinding().to(BackupRoutes.class);
    }

    @ProvidesIntoSet
    InitializationOperation rebuildSearchIndexAfterRestore(SearchIndexRebuild rebuild) {
        return InitilizationOperationBuilder.forClass(SearchIndexRebuild.class).init(rebuild::init);
    }
}
