package org.postroom.it;

import java.util.ArrayList;
import java.util.List;
import java.util.Properties;

import javax.mail.Folder;
import javax.mail.Message;
import javax.mail.MessagingException;
import javax.mail.Session;
import javax.mail.Store;
import javax.mail.Transport;
import javax.mail.internet.InternetAddress;
import javax.mail.internet.MimeMessage;

/** Jakarta (javax) Mail as a mail client would use it: submission with TLS and AUTH, IMAP and POP3 with TLS. */
public final class MailClients {
    public enum Security { STARTTLS, IMPLICIT_TLS }

    private MailClients() {
    }

    public static MimeMessage message(String from, String to, String subject, String text) throws MessagingException {
        MimeMessage message = new MimeMessage(Session.getInstance(new Properties()));
        message.setFrom(new InternetAddress(from));
        message.setRecipients(Message.RecipientType.TO, to);
        message.setSubject(subject);
        message.setText(text);
        message.saveChanges();
        return message;
    }

    public static void submit(int port, Security security, String user, String password, MimeMessage message)
        throws MessagingException {
        Properties properties = new Properties();
        String protocol = security == Security.IMPLICIT_TLS ? "smtps" : "smtp";
        properties.put("mail." + protocol + ".host", "127.0.0.1");
        properties.put("mail." + protocol + ".port", String.valueOf(port));
        properties.put("mail." + protocol + ".auth", "true");
        properties.put("mail." + protocol + ".ssl.trust", "*");
        properties.put("mail." + protocol + ".ssl.checkserveridentity", "false");
        properties.put("mail." + protocol + ".localhost", "client.example.org");
        if (security == Security.STARTTLS) {
            properties.put("mail.smtp.starttls.enable", "true");
            properties.put("mail.smtp.starttls.required", "true");
        }
        Session session = Session.getInstance(properties);
        try (Transport transport = session.getTransport(protocol)) {
            transport.connect(user, password);
            transport.sendMessage(message, message.getAllRecipients());
        }
    }

    /** The subjects of the messages in INBOX, read over IMAP. */
    public static List<String> imapSubjects(int port, Security security, String user, String password)
        throws MessagingException {
        return subjects("imap", port, security, user, password);
    }

    /** The subjects of the messages in the POP3 maildrop. */
    public static List<String> pop3Subjects(int port, Security security, String user, String password)
        throws MessagingException {
        return subjects("pop3", port, security, user, password);
    }

    /** Reads INBOX with {@code protocol} ("imap" or "pop3") the way a client set to TLS or STARTTLS does. */
    private static List<String> subjects(String protocol, int port, Security security, String user, String password)
        throws MessagingException {
        Properties properties = new Properties();
        String name = security == Security.IMPLICIT_TLS ? protocol + "s" : protocol;
        properties.put("mail." + name + ".ssl.trust", "*");
        properties.put("mail." + name + ".ssl.checkserveridentity", "false");
        if (security == Security.STARTTLS) {
            properties.put("mail." + name + ".starttls.enable", "true");
            properties.put("mail." + name + ".starttls.required", "true");
        }
        return subjects(Session.getInstance(properties).getStore(name), port, user, password);
    }

    private static List<String> subjects(Store store, int port, String user, String password) throws MessagingException {
        store.connect("127.0.0.1", port, user, password);
        try {
            Folder inbox = store.getFolder("INBOX");
            inbox.open(Folder.READ_ONLY);
            List<String> subjects = new ArrayList<>();
            for (Message message : inbox.getMessages()) {
                try {
                    subjects.add(message.getSubject());
                } catch (MessagingException e) {
                    // James 3.8.1 may announce a message that is being delivered at the moment of SELECT before
                    // FETCH can read it ("Invalid messageset"): not visible yet, so callers polling retry.
                    if (String.valueOf(e.getMessage()).contains("Invalid messageset")) {
                        throw new AssertionError("message " + message.getMessageNumber() + " announced but not fetchable yet", e);
                    }
                    throw e;
                }
            }
            inbox.close(false);
            return subjects;
        } finally {
            store.close();
        }
    }
}
