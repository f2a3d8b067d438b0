#!/usr/bin/env python3
"""Mail through an installed Postroom with Python's own clients (smtplib, imaplib, poplib), over STARTTLS.

    deb_mail.py send SUBMISSION_PORT USER PASSWORD SUBJECT   sends USER a message to itself; prints 'sent'
    deb_mail.py imap IMAP_PORT USER PASSWORD SUBJECT         prints 'found N': INBOX messages with that Subject
    deb_mail.py pop3 POP3_PORT USER PASSWORD                 prints 'messages N': the POP3 maildrop's size

The server's certificate is its self-signed one, so it is not verified. Any failure exits non-zero with the
client's error on stderr.
"""
import imaplib
import poplib
import smtplib
import ssl
import sys
from email.message import EmailMessage

HOST = "127.0.0.1"


def unverified():
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def send(port, user, password, subject):
    message = EmailMessage()
    message["From"] = user
    message["To"] = user
    message["Subject"] = subject
    message.set_content("Sent through the Debian package.\n")
    with smtplib.SMTP(HOST, port, timeout=60) as smtp:
        smtp.starttls(context=unverified())
        smtp.login(user, password)
        refused = smtp.send_message(message)
    if refused:
        raise SystemExit("refused: %r" % refused)
    print("sent")


def imap(port, user, password, subject):
    with imaplib.IMAP4(HOST, port, timeout=60) as client:
        client.starttls(ssl_context=unverified())
        client.login(user, password)
        client.select("INBOX", readonly=True)
        status, data = client.search(None, "SUBJECT", '"%s"' % subject)
        if status != "OK":
            raise SystemExit("SEARCH: %s %r" % (status, data))
        print("found %d" % len(data[0].split()))


def pop3(port, user, password):
    client = poplib.POP3(HOST, port, timeout=60)
    try:
        client.stls(context=unverified())
        client.user(user)
        client.pass_(password)
        count, _ = client.stat()
        print("messages %d" % count)
    finally:
        client.quit()


def main(argv):
    command, port, user, password = argv[1], int(argv[2]), argv[3], argv[4]
    if command == "send":
        send(port, user, password, argv[5])
    elif command == "imap":
        imap(port, user, password, argv[5])
    elif command == "pop3":
        pop3(port, user, password)
    else:
        raise SystemExit("unknown command " + command)


if __name__ == "__main__":
    main(sys.argv)
