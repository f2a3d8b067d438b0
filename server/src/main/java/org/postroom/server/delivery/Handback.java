package org.postroom.server.delivery;

import javax.mail.MessagingException;

import org.apache.mailet.Mail;

/** Hands mail back to the mailet container, to a processor named in {@code conf/mailetcontainer.xml}. */
public interface Handback {
    void send(Mail mail, String processor) throws MessagingException;
}
