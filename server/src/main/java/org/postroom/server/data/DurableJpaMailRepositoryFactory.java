package org.postroom.server.data;

import javax.inject.Inject;
import javax.persistence.EntityManagerFactory;

import org.apache.commons.configuration2.BaseHierarchicalConfiguration;
import org.apache.commons.configuration2.ex.ConfigurationException;
import org.apache.james.mailrepository.api.MailRepository;
import org.apache.james.mailrepository.api.MailRepositoryFactory;
import org.apache.james.mailrepository.api.MailRepositoryUrl;
import org.postroom.server.PostroomHome;

/** Makes {@link DurableJpaMailRepository}s for {@code jpa://} URLs, configured and initialised. */
public class DurableJpaMailRepositoryFactory implements MailRepositoryFactory {
    private final EntityManagerFactory entityManagerFactory;
    private final PostroomHome home;

    @Inject
    public DurableJpaMailRepositoryFactory(EntityManagerFactory entityManagerFactory, PostroomHome home) {
        this.entityManagerFactory = entityManagerFactory;
        this.home = home;
    }

    @Override
    public Class<? extends MailRepository> mailRepositoryClass() {
        return DurableJpaMailRepository.class;
    }

    @Override
    public MailRepository create(MailRepositoryUrl url) {
        DurableJpaMailRepository repository = new DurableJpaMailRepository(entityManagerFactory, home);
        BaseHierarchicalConfiguration configuration = new BaseHierarchicalConfiguration();
        configuration.addProperty("[@destinationURL]", url.asString());
        try {
            repository.configure(configuration);
            repository.init();
        } catch (ConfigurationException e) {
            throw new IllegalArgumentException("not a jpa:// repository URL: " + url.asString(), e);
        } catch (Exception e) {
            throw new IllegalStateException("cannot open the repository " + url.asString() + ": " + e.getMessage(), e);
        }
        return repository;
    }
}
