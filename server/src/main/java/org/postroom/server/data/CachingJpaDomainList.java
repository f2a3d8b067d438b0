package org.postroom.server.data;

import javax.inject.Inject;
import javax.persistence.EntityManagerFactory;

import org.apache.commons.configuration2.ex.ConfigurationException;
import org.apache.james.core.Domain;
import org.apache.james.dnsservice.api.DNSService;
import org.apache.james.domainlist.api.DomainListException;
import org.apache.james.domainlist.jpa.JPADomainList;
import org.apache.james.domainlist.lib.DomainListConfiguration;
import org.apache.james.server.core.configuration.ConfigurationProvider;

/**
 * James's JPA domain list, answering "is this domain local?" from memory. SMTP asks it for every recipient and the
 * mailet container again for every mail; without the cache each question is a database query. Adding or removing a
 * domain through this server takes effect at once (see {@link OwnedCache}).
 */
public class CachingJpaDomainList extends JPADomainList {
    private final OwnedCache<Domain, Boolean> cache = new OwnedCache<>();

    /**
     * Configured as soon as Guice has built it (after the superclass's setters), from {@code conf/domainlist.xml}, so no
     * component, mail or SMTP session ever meets it unconfigured. James would configure it in a start-up
     * operation ordered by when Guice happened to build it, after the spooler had started.
     */
    @Inject
    void configureFrom(ConfigurationProvider configurationProvider) throws ConfigurationException {
        configure(DomainListConfiguration.from(configurationProvider.getConfiguration("domainlist")));
    }

    @Inject
    public CachingJpaDomainList(DNSService dns, EntityManagerFactory entityManagerFactory) {
        super(dns, entityManagerFactory);
    }

    @Override
    protected boolean containsDomainInternal(Domain domain) throws DomainListException {
        return cache.get(domain, super::containsDomainInternal);
    }

    @Override
    public void addDomain(Domain domain) throws DomainListException {
        cache.invalidate(domain);
        try {
            super.addDomain(domain);
        } finally {
            cache.invalidate(domain);
        }
    }

    @Override
    public void doRemoveDomain(Domain domain) throws DomainListException {
        cache.invalidate(domain);
        try {
            super.doRemoveDomain(domain);
        } finally {
            cache.invalidate(domain);
        }
    }
}
