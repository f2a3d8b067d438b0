package org.postroom.server.data;

import java.util.Optional;

import javax.inject.Inject;

import org.apache.commons.configuration2.ex.ConfigurationException;
import org.apache.james.rrt.api.RecipientRewriteTableException;
import org.apache.james.rrt.jpa.JPARecipientRewriteTable;
import org.apache.james.rrt.lib.Mapping;
import org.apache.james.rrt.lib.MappingSource;
import org.apache.james.rrt.lib.Mappings;
import org.apache.james.server.core.configuration.ConfigurationProvider;

/**
 * James's JPA recipient rewrite table (aliases, forwards, groups, domain aliases), answering lookups from memory.
 * The RecipientRewriteTable mailet resolves every recipient of every mail, each resolution being several queries
 * (user@domain, *@domain, the domain's aliases...): 14% of the server's CPU when relaying. Every change of a mapping
 * goes through {@link #addMapping} or {@link #removeMapping} of this server and empties the cache, so answers are
 * never stale within one server (see {@link OwnedCache}).
 */
public class CachingJpaRecipientRewriteTable extends JPARecipientRewriteTable {
    private final OwnedCache<MappingSource, Mappings> cache = new OwnedCache<>();

    /**
     * Configured as soon as Guice has built it (after the superclass's setters), from {@code conf/recipientrewritetable.xml}, so no
     * component, mail or SMTP session ever meets it unconfigured. James would configure it in a start-up
     * operation ordered by when Guice happened to build it, after the spooler had started.
     */
    @Inject
    void configureFrom(ConfigurationProvider configurationProvider) throws ConfigurationException {
        configure(configurationProvider.getConfiguration("recipientrewritetable"));
    }

    @Override
    public Mappings getStoredMappings(MappingSource source) throws RecipientRewriteTableException {
        Optional<Mappings> cached = cache.cached(source);
        if (cached.isPresent()) {
            return cached.get();
        }
        long generation = cache.generation();
        Mappings mappings = super.getStoredMappings(source);
        cache.store(source, mappings, generation);
        return mappings;
    }

    @Override
    public void addMapping(MappingSource source, Mapping mapping) throws RecipientRewriteTableException {
        cache.invalidateAll();
        try {
            super.addMapping(source, mapping);
        } finally {
            cache.invalidateAll();
        }
    }

    @Override
    public void removeMapping(MappingSource source, Mapping mapping) throws RecipientRewriteTableException {
        cache.invalidateAll();
        try {
            super.removeMapping(source, mapping);
        } finally {
            cache.invalidateAll();
        }
    }
}
