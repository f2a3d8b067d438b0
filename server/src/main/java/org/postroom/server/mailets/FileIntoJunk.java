package org.postroom.server.mailets;

import java.util.Set;

import javax.inject.Inject;
import javax.mail.MessagingException;

import org.apache.james.core.MailAddress;
import org.apache.james.core.Username;
import org.apache.james.user.api.UsersRepository;
import org.apache.james.user.api.UsersRepositoryException;
import org.apache.mailet.Mail;
import org.apache.mailet.StorageDirective;
import org.apache.mailet.base.GenericMailet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes local delivery store the mail in each recipient's Junk folder (created when missing), through the
 * storage directive that James's {@code LocalDelivery} honours. Placed after {@code Sieve}, so that it wins over a
 * user's own filing rule. Used for mail that DMARC quarantines (see {@code AuthenticateInboundMail}).
 * <pre>{@code
 * <mailet match="HasMailAttribute=org.postroom.auth.quarantine" class="org.postroom.server.mailets.FileIntoJunk">
 *     <folder>Junk</folder>
 * </mailet>
 * }</pre>
 */
public class FileIntoJunk extends GenericMailet {
    public static final String DEFAULT_FOLDER = "Junk";
    private static final Logger LOGGER = LoggerFactory.getLogger(FileIntoJunk.class);

    private final UsersRepository users;
    private String folder;

    @Inject
    public FileIntoJunk(UsersRepository users) {
        this.users = users;
    }

    @Override
    public void init() throws MessagingException {
        checkInitParameters(Set.of("folder"));
        folder = getInitParameter("folder", DEFAULT_FOLDER).strip();
        if (folder.isEmpty()) {
            throw new MessagingException("FileIntoJunk: folder must not be empty");
        }
    }

    @Override
    public void service(Mail mail) throws MessagingException {
        StorageDirective directive = StorageDirective.builder().targetFolder(folder).build();
        for (MailAddress recipient : mail.getRecipients()) {
            Username user;
            try {
                user = users.getUsername(recipient);
            } catch (UsersRepositoryException e) {
                throw new MessagingException("cannot name the user of " + recipient.asString(), e);
            }
            directive.encodeAsAttributes(user).forEach(mail::setAttribute);
            LOGGER.info("quarantined {} for {} into {}", mail.getName(), recipient.asString(), folder);
        }
    }

    @Override
    public String getMailetInfo() {
        return "Delivers into the recipients' Junk folder";
    }
}
