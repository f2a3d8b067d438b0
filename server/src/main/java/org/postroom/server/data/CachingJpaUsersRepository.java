package org.postroom.server.data;

import java.util.List;
import java.util.Locale;
import java.util.Optional;

import javax.inject.Inject;
import javax.persistence.EntityManager;
import javax.persistence.EntityManagerFactory;
import javax.persistence.PersistenceException;

import org.apache.commons.configuration2.HierarchicalConfiguration;
import org.apache.commons.configuration2.ex.ConfigurationException;
import org.apache.commons.configuration2.tree.ImmutableNode;
import org.apache.james.core.Username;
import org.apache.james.domainlist.api.DomainList;
import org.apache.james.server.core.configuration.ConfigurationProvider;
import org.apache.james.user.api.UsersRepositoryException;
import org.apache.james.user.api.model.User;
import org.apache.james.user.jpa.JPAUsersRepository;
import org.apache.james.user.jpa.model.JPAUser;
import org.apache.james.user.lib.model.Algorithm;
import org.reactivestreams.Publisher;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import reactor.core.publisher.Mono;

/**
 * James's JPA users repository, answering "does this user exist?" from memory. SMTP asks it for every recipient and
 * the mailet container (RecipientIsLocal, LocalDelivery) again for every mail. Adding or removing a user through
 * this server takes effect at once (see {@link OwnedCache}); passwords are never cached.
 *
 * <p>Passwords: James keeps each user's hashing scheme beside the hash ({@code PASSWORD_HASH_ALGORITHM}) and never
 * changes it, not even when the password changes. Here, a successful login whose stored scheme differs from the
 * configured {@code <algorithm>} rehashes the password with the configured one, so old hashes are upgraded at the
 * next login. A login for a user that does not exist still costs one hash, so response times do not tell which
 * accounts exist. (James's {@code verifyFailureDelay} is not applied here: failed logins are throttled per client
 * by {@link org.postroom.server.login.LoginThrottle} instead.)
 */
public class CachingJpaUsersRepository extends JPAUsersRepository {
    private static final Logger LOGGER = LoggerFactory.getLogger(CachingJpaUsersRepository.class);
    /** James's default when {@code <algorithm>} is absent ({@code JPAUsersDAO}). */
    private static final String JAMES_DEFAULT_ALGORITHM = "PBKDF2";

    private final OwnedCache<String, Boolean> cache = new OwnedCache<>();
    private String algorithm = JAMES_DEFAULT_ALGORITHM;
    private EntityManagerFactory entityManagerFactory;

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

    /** The same factory James's DAO gets (its setter is final), for rehashing. */
    @Inject
    void useEntityManagerFactory(EntityManagerFactory entityManagerFactory) {
        this.entityManagerFactory = entityManagerFactory;
    }

    @Override
    public void configure(HierarchicalConfiguration<ImmutableNode> config) throws ConfigurationException {
        super.configure(config);
        algorithm = config.getString("algorithm", JAMES_DEFAULT_ALGORITHM);
        // Fails the start on a scheme James cannot parse, such as PBKDF2-SHA512-many.
        try {
            Algorithm.of(algorithm).digest("check", "check");
        } catch (RuntimeException e) {
            throw new ConfigurationException("usersrepository.xml: <algorithm>" + algorithm
                + "</algorithm> is not a hashing scheme James knows: " + e.getMessage());
        }
    }

    @Override
    public boolean test(Username name, String password) throws UsersRepositoryException {
        User user = getUserByName(name);
        if (user == null) {
            // As costly as checking a real password, so that the answer's delay does not reveal which users exist.
            Algorithm.of(algorithm).digest(password == null ? "" : password, name.asString());
            return false;
        }
        if (!user.verifyPassword(password)) {
            return false;
        }
        upgradeHash(user.getUserName(), password);
        return true;
    }

    /**
     * Rehashes with the configured scheme when the stored one differs: the user's row is replaced in one transaction
     * by James's own entity, built with the configured scheme (James offers no way to change a user's scheme).
     */
    private void upgradeHash(Username name, String password) {
        if (entityManagerFactory == null) {
            return;
        }
        EntityManager entityManager = entityManagerFactory.createEntityManager();
        try {
            List<?> stored = entityManager
                .createQuery("SELECT user.alg FROM JamesUser user WHERE user.name = :name")
                .setParameter("name", name.asString())
                .getResultList();
            if (stored.isEmpty() || algorithm.equals(stored.get(0))) {
                return;
            }
            entityManager.getTransaction().begin();
            JPAUser old = entityManager.find(JPAUser.class, name.asString());
            if (old == null) {
                entityManager.getTransaction().rollback();
                return;
            }
            entityManager.remove(old);
            entityManager.flush();
            entityManager.persist(new JPAUser(name.asString(), password, algorithm));
            entityManager.getTransaction().commit();
            LOGGER.info("password hash of {} upgraded from {} to {}", name.asString(), stored.get(0), algorithm);
        } catch (PersistenceException e) {
            // A concurrent login may have upgraded it first; the old hash stays valid until the next login otherwise.
            LOGGER.warn("password hash of {} not upgraded: {}", name.asString(), e.getMessage());
            if (entityManager.getTransaction().isActive()) {
                entityManager.getTransaction().rollback();
            }
        } finally {
            entityManager.close();
        }
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
