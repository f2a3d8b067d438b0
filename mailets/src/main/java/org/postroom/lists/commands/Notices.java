package org.postroom.lists.commands;

import java.io.UnsupportedEncodingException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

import javax.mail.MessagingException;
import javax.mail.Session;
import javax.mail.internet.InternetAddress;
import javax.mail.internet.MimeMessage;

import org.apache.james.core.MailAddress;
import org.apache.mailet.MailetContext;
import org.postroom.lists.ListAddresses;
import org.postroom.lists.MailingList;
import org.postroom.lists.tokens.SignedUnsubscribeLinks;
import org.postroom.lists.tokens.TokenPurpose;

/**
 * The mails a list sends in answer to a command: confirmations, refusals, help. Sent with the null envelope sender
 * (nothing bounces back to a list address) and {@code Auto-Submitted: auto-replied} (RFC 3834), so that no
 * auto-responder answers them.
 */
final class Notices {
    private static final Session SESSION = Session.getInstance(new java.util.Properties());

    private final MailetContext context;
    private final SignedUnsubscribeLinks links;

    Notices(MailetContext context, SignedUnsubscribeLinks links) {
        this.context = context;
        this.links = links;
    }

    void confirmSubscription(MailingList list, MailAddress to, Duration lifetime, MimeMessage request) throws MessagingException {
        MailAddress confirm = links.confirmation(list.address(), to, TokenPurpose.CONFIRM_SUBSCRIBE);
        send(list, confirm, to, "Confirm your subscription to " + name(list), request, """
            Someone, probably you, asked to subscribe %s to the list %s.

            To confirm, reply to this message, or send any mail to:
                %s
            This confirmation is valid for %d days.

            If you did not ask for this, ignore this message: nothing more will be sent.
            """.formatted(to.asString(), describe(list), confirm.asString(), lifetime.toDays()));
    }

    void confirmUnsubscribe(MailingList list, MailAddress to, Duration lifetime, MimeMessage request) throws MessagingException {
        MailAddress confirm = links.confirmation(list.address(), to, TokenPurpose.CONFIRM_UNSUBSCRIBE);
        send(list, confirm, to, "Confirm that you leave " + name(list), request, """
            Someone, probably you, asked to unsubscribe %s from the list %s.

            To confirm, reply to this message, or send any mail to:
                %s
            This confirmation is valid for %d days.

            If you did not ask for this, ignore this message: you stay subscribed.
            """.formatted(to.asString(), describe(list), confirm.asString(), lifetime.toDays()));
    }

    void welcome(MailingList list, MailAddress to, MimeMessage request) throws MessagingException {
        send(list, command(list, "help"), to, "Welcome to " + name(list), request, """
            %s is now subscribed to the list %s.
            %s
            To post, write to %s.
            To leave, %s
            """.formatted(to.asString(), describe(list), list.description().isBlank() ? "" : "\n" + list.description() + "\n",
            list.address().asString(), leave(list, to)));
    }

    void goodbye(MailingList list, MailAddress to, MimeMessage request) throws MessagingException {
        send(list, command(list, "help"), to, "You have left " + name(list), request, """
            %s is no longer subscribed to the list %s.

            To subscribe again, send any mail to %s.
            """.formatted(to.asString(), describe(list), command(list, "subscribe").asString()));
    }

    void refusal(MailingList list, MailAddress to, MimeMessage request) throws MessagingException {
        String why = switch (list.subscription()) {
            case OWNER -> "Members of this list are added by its owners. Please ask them: "
                + list.owners().stream().map(MailAddress::asString).sorted().reduce((a, b) -> a + ", " + b).orElse("-");
            case CLOSED -> "This list does not take new members.";
            case CONFIRM -> "The request could not be completed.";
        };
        send(list, command(list, "help"), to, "Your subscription request for " + name(list), request, """
            Thank you for your interest in the list %s.

            %s
            """.formatted(describe(list), why));
    }

    void alreadyMember(MailingList list, MailAddress to, MimeMessage request) throws MessagingException {
        send(list, command(list, "help"), to, "You are already subscribed to " + name(list), request, """
            %s is already subscribed to the list %s: nothing changed.

            To leave, %s
            """.formatted(to.asString(), describe(list), leave(list, to)));
    }

    void notMember(MailingList list, MailAddress to, MimeMessage request) throws MessagingException {
        send(list, command(list, "help"), to, "Not subscribed to " + name(list), request, """
            %s is not subscribed to the list %s: nothing changed.

            If you receive the list at another address, send the request from that address, or use the
            unsubscribe link at the bottom of a list message.
            """.formatted(to.asString(), describe(list)));
    }

    void help(MailingList list, MailAddress to, MimeMessage request) throws MessagingException {
        send(list, command(list, "help"), to, "Help for " + name(list), request, """
            The list %s%s

            Commands, each a mail (subject and body do not matter) to:
                %s    subscribe (you will be asked to confirm)
                %s  unsubscribe (you will be asked to confirm)
                %s         this help
            Each list message also carries a one-click unsubscribe link for you.
            Posts go to %s.
            """.formatted(describe(list), list.description().isBlank() ? "." : ":\n" + list.description(),
            command(list, "subscribe").asString(), command(list, "unsubscribe").asString(),
            command(list, "help").asString(), list.address().asString()));
    }

    private String leave(MailingList list, MailAddress member) {
        Optional<java.net.URI> oneClick = links.oneClick(list, member);
        MailAddress mailto = links.mailto(list, member);
        return oneClick.map(uri -> "open " + uri + "\nor send any mail to " + mailto.asString() + ".")
            .orElse("send any mail to " + mailto.asString() + ".");
    }

    private static MailAddress command(MailingList list, String command) {
        return ListAddresses.command(list.address(), command);
    }

    private static String name(MailingList list) {
        return list.displayName().isBlank() ? list.address().asString() : list.displayName();
    }

    private static String describe(MailingList list) {
        return list.displayName().isBlank() ? list.address().asString()
            : list.displayName() + " <" + list.address().asString() + ">";
    }

    private void send(MailingList list, MailAddress from, MailAddress to, String subject, MimeMessage request, String text)
        throws MessagingException {
        MimeMessage notice = new MimeMessage(SESSION);
        try {
            notice.setFrom(new InternetAddress(from.asString(), name(list), "UTF-8"));
        } catch (UnsupportedEncodingException e) {
            throw new IllegalStateException(e);
        }
        notice.setReplyTo(new InternetAddress[] {new InternetAddress(from.asString())});
        notice.setRecipients(javax.mail.Message.RecipientType.TO, to.asString());
        notice.setSubject(subject, "UTF-8");
        notice.setSentDate(new java.util.Date());
        notice.setHeader("Auto-Submitted", "auto-replied");
        notice.setHeader("X-Auto-Response-Suppress", "All");
        String messageId = request == null ? null : request.getMessageID();
        if (messageId != null) {
            notice.setHeader("In-Reply-To", messageId);
            notice.setHeader("References", messageId);
        }
        notice.setText(text, "UTF-8");
        notice.saveChanges();
        context.sendMail(MailAddress.nullSender(), List.of(to), notice);
    }
}
