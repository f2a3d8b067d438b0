package org.postroom.server.data;

import java.util.Locale;
import java.util.Optional;

import javax.inject.Inject;

import org.apache.commons.configuration2.ex.ConfigurationException;
import org.apache.james.core.Username;
import org.apache.james.domainlist.api.DomainList;
import org.apache.james.server.core.configuration.ConfigurationProvider;
import org.apache.james.user.api.UsersRepositoryException;
import org.apache.james.user.jpa.JPAUsersRepository;
import org.reactivestreams.Publisher;

import reactor.core.publisher.Mono;

/**
 * James's JPA users repository, answering "does this user exist?" from memory. SMTP asks it for every recipient and
 * the mailet container (RecipientIsLocal, LocalDelivery) again for every mail. Adding or removing a user through
 * this server takes effect at once (see {@link OwnedCache}); passwords are never cached.
 */
public class CachingJpaUsersRepository extends JPAUsersRepository {
    private final OwnedCache<String, Boolean> cache = new OwnedCache<>();

    /**
     * Configured as soon as Guice has built it (after the superclass's setters), from {@code conf/usersrepository.xml}, so no
     * component, mail or SMTP session ever meets it unconfigured. James would configure it in a start-up
     * operation ordered by when Guice happened to build it, after the spooler had started.
     */
    @Inject
    void configureFrom(ConfigurationProvider configurationProvider) throws ConfigurationException {
        configure(configurationProvider.getConfiguration("usersrepository"));
        init();
    }

    @Inject
    public CachingJpaUsersRepository(DomainList domainList) {
        super(domainList);
    }

    @Override
    public boolean contains(Username name) throws UsersRepositoryException {
        return cache.get(key(name), key -> super.contains(name));
    }

    @Override
    public Publisher<Boolean> containsReactive(Username name) {
        Optional<Boolean> cached = cache.cached(key(name));
        if (cached.isPresent()) {
            return Mono.just(cached.get());
        }
        long generation = cache.generation();
        return Mono.from(super.containsReactive(name))
            .doOnNext(exists -> cache.store(key(name), exists, generation));
    }

    @Override
    public void addUser(Username username, String password) throws UsersRepositoryException {
        cache.invalidate(key(username));
        try {
            super.addUser(username, password);
        } finally {
            cache.invalidate(key(username));
        }
    }

    @Override
    public void removeUser(Username name) throws UsersRepositoryException {
        cache.invalidate(key(name));
        try {
            super.removeUser(name);
        } finally {
            cache.invalidate(key(name));
        }
    }

    /** The database compares user names without case: so does the cache, so a write invalidates every spelling. */
    private static String key(Username name) {
        return name.asString().toLowerCase(Locale.ROOT);
    }
}
