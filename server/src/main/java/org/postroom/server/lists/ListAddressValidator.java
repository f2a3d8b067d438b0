package org.postroom.server.lists;

import java.util.Optional;
import java.util.Set;

import javax.inject.Inject;

import org.apache.james.UserEntityValidator;
import org.apache.james.core.MailAddress;
import org.apache.james.core.Username;
import org.postroom.lists.ListStore;

/** Refuses a user, alias or group whose address is a mailing list's. */
public class ListAddressValidator implements UserEntityValidator {
    private final ListStore lists;

    @Inject
    public ListAddressValidator(ListStore lists) {
        this.lists = lists;
    }

    @Override
    public Optional<ValidationFailure> canCreate(Username username, Set<EntityType> ignoredTypes) throws Exception {
        if (!username.hasDomainPart()) {
            return Optional.empty();
        }
        Optional<MailAddress> address = Optional.of(username.asMailAddress());
        return address.filter(list -> lists.find(list).isPresent())
            .map(list -> new ValidationFailure("'" + list.asString() + "' is the address of a mailing list"));
    }
}
