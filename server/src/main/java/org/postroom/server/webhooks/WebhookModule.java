package org.postroom.server.webhooks;

import org.apache.james.utils.InitializationOperation;
import org.apache.james.utils.InitilizationOperationBuilder;
import org.apache.james.webadmin.Routes;
import org.postroom.server.PostroomSettings;

import com.google.inject.AbstractModule;
import com.google.inject.Provides;
import com.google.inject.Scopes;
import com.google.inject.Singleton;
import com.google.inject.multibindings.Multibinder;
import com.google.inject.multibindings.ProvidesIntoSet;

/**
 * Event webhooks: the store (Derby), the service that listens to the event bus from the moment the injector is
 * built (so no event published during start-up is missed; it writes and delivers once started), its settings
 * ({@code postroom.webhooks.*}) and the admin routes behind {@code postroom webhook}.
 */
public class WebhookModule extends AbstractModule {
    @Override
    protected void configure() {
        bind(JpaWebhookStore.class).in(Scopes.SINGLETON);
        bind(WebhookService.class).asEagerSingleton();
        Multibinder.newSetBinder(binder(), Routes.class).addBinding().to(WebhookRoutes.class);
    }

    @ProvidesIntoSet
    InitializationOperation startWebhooks(WebhookService webhooks) {
        return InitilizationOperationBuilder.forClass(WebhookService.class).init(webhooks::start);
    }
}
