package org.postroom.server.auth;

import org.apache.james.core.Username;
import org.apache.james.rrt.api.CanSendFrom;
import org.postroom.auth.SenderOwnership;
import org.postroom.auth.dkim.DkimKeys;

import com.google.inject.AbstractModule;
import com.google.inject.Inject;
import com.google.inject.multibindings.Multibinder;

/**
 * Sender authentication: who may send as which address, and the DKIM keys that sign what they send (stored under
 * {@code var/dkim/}, {@link DkimKeyStore}). Each {@link SenderOwnership} bound into the set grants addresses;
 * mailing lists add theirs with another {@code Multibinder.newSetBinder(binder(), SenderOwnership.class).addBinding()}
 * (see {@code org.postroom.server.lists.ListsModule}). The SMTP hooks that apply these rules are in
 * {@code org.postroom.server.smtp}, the inbound SPF/DKIM/DMARC checks in {@code org.postroom.auth.inbound}.
 */
public class AuthModule extends AbstractModule {
    @Override
    protected void configure() {
        Multibinder.newSetBinder(binder(), SenderOwnership.class).addBinding().to(OwnAddressOrAlias.class);
        bind(DkimKeys.class).to(DkimKeyStore.class);
    }

    /** The user's own address, and the aliases (and domain aliases) of the recipient rewrite table that point to it. */
    static final class OwnAddressOrAlias implements SenderOwnership {
        private final CanSendFrom canSendFrom;

        @Inject
        OwnAddressOrAlias(CanSendFrom canSendFrom) {
            this.canSendFrom = canSendFrom;
        }

        @Override
        public boolean owns(Username user, org.apache.james.core.MailAddress address) {
            Username claimed = Username.fromMailAddress(address);
            return claimed.equals(user) || canSendFrom.userCanSendFrom(user, claimed);
        }
    }
}
