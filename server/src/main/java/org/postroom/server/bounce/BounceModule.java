package org.postroom.server.bounce;

import org.apache.james.webadmin.Routes;
import org.postroom.bounce.processing.BounceEventStore;
import org.postroom.bounce.processing.BouncePolicy;
import org.postroom.bounce.processing.BounceReader;
import org.postroom.bounce.processing.ParsedBounceReader;
import org.postroom.bounce.processing.DeliveryCounters;

import com.google.inject.AbstractModule;
import com.google.inject.Scopes;
import com.google.inject.multibindings.Multibinder;

/**
 * Bounce processing for lists: the policy (its settings, {@link BounceProperties}, are bound with the others by PostroomModule), the bounce event store,
 * (Derby: {@link JpaBounceStorage}), the per-list delivery counters that list delivery feeds, and the admin routes behind {@code postroom bounce}.
 */
public class BounceModule extends AbstractModule {
    @Override
    protected void configure() {
        bind(JpaBounceStorage.class).in(Scopes.SINGLETON);
        bind(BounceEventStore.class).to(JpaBounceStorage.class);
        bind(DeliveryCounters.class).to(JpaBounceStorage.class);
        bind(BouncePolicy.class).in(Scopes.SINGLETON);
        bind(BounceReader.class).to(ParsedBounceReader.class).in(Scopes.SINGLETON);
        Multibinder.newSetBinder(binder(), Routes.class).addBinding().to(BounceRoutes.class);
    }
}
