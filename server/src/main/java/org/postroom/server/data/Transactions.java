package org.postroom.server.data;

import java.util.function.Consumer;
import java.util.function.Function;

import javax.persistence.EntityManager;
import javax.persistence.EntityManagerFactory;
import javax.persistence.EntityTransaction;

/** Runs work in one JPA transaction on its own entity manager: committed when it returns, rolled back otherwise. */
public final class Transactions {
    private final EntityManagerFactory factory;

    public Transactions(EntityManagerFactory factory) {
        this.factory = factory;
    }

    public EntityManagerFactory factory() {
        return factory;
    }

    public <T> T apply(Function<EntityManager, T> work) {
        EntityManager manager = factory.createEntityManager();
        EntityTransaction transaction = manager.getTransaction();
        try {
            transaction.begin();
            T result = work.apply(manager);
            transaction.commit();
            return result;
        } finally {
            if (transaction.isActive()) {
                transaction.rollback();
            }
            manager.close();
        }
    }

    public void run(Consumer<EntityManager> work) {
        apply(manager -> {
            work.accept(manager);
            return null;
        });
    }

    /** Reads without a transaction. */
    public <T> T read(Function<EntityManager, T> work) {
        EntityManager manager = factory.createEntityManager();
        try {
            return work.apply(manager);
        } finally {
            manager.close();
        }
    }
}
