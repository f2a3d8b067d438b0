package org.postroom.server.admin;

import java.time.Clock;

import javax.inject.Named;
import javax.inject.Singleton;

import org.apache.james.jwt.JwtTokenVerifier;
import org.apache.james.webadmin.authentication.AuthenticationFilter;
import org.apache.james.webadmin.authentication.JwtFilter;

import com.google.inject.AbstractModule;
import com.google.inject.Provides;

/**
 * Replaces WebAdminServerModule's authentication filter (used with {@code Modules.override}): always James's JWT
 * check, whatever {@code jwt.enabled} says, then {@link RequireExpiringToken}.
 */
public class AdminAuthenticationModule extends AbstractModule {
    @Provides
    @Singleton
    AuthenticationFilter authenticationFilter(@Named("webadmin") JwtTokenVerifier.Factory verifier) {
        return new RequireExpiringToken(new JwtFilter(verifier), Clock.systemUTC());
    }
}
