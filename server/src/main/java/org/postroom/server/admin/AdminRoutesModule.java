package org.postroom.server.admin;

import org.apache.james.webadmin.Routes;

import com.google.inject.AbstractModule;
import com.google.inject.Provides;
import com.google.inject.Singleton;
import com.google.inject.multibindings.Multibinder;

/**
 * Postroom's own admin API routes, next to James's WebAdmin ones and behind the same token check: what the
 * {@code postroom} command needs and WebAdmin lacks (a status summary; queued mail with size, age and last error).
 */
public class AdminRoutesModule extends AbstractModule {
    @Override
    protected void configure() {
        Multibinder<Routes> routes = Multibinder.newSetBinder(binder(), Routes.class);
        routes.addBinding().to(StatusRoutes.class);
        routes.addBinding().to(QueueMailsRoutes.class);
        routes.addBinding().to(DkimRoutes.class);
        routes.addBinding().to(ListRoutes.class);
        routes.addBinding().to(MemberRoutes.class);
        routes.addBinding().to(SuppressionRoutes.class);
        routes.addBinding().to(ModerationRoutes.class);
        routes.addBinding().to(BanRoutes.class);
    }

}
