package org.postroom.server.lists;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

import javax.mail.internet.AddressException;

import org.apache.james.core.MailAddress;
import org.postroom.auth.dkim.DkimKeys;
import org.postroom.auth.dkim.PrecomputedDkimSigner;
import org.postroom.lists.ListAddresses;
import org.postroom.lists.ListStore;
import org.postroom.lists.MailingList;
import org.postroom.lists.UnsubscribeLinks;
import org.postroom.lists.delivery.ListHeaders;
import org.postroom.lists.delivery.RawMessage;
import org.postroom.server.delivery.Composer;
import org.postroom.server.delivery.DeliveryStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Each member's copy of a list post, made when it is sent from the post stored once: the member's unsubscribe fields
 * and a DKIM signature of the list's domain over the post's fields (the body hash computed once per post), and the
 * VERP envelope sender whose tag (a MAC with the installation secret over list, member and post) lets bounce
 * processing tell our copies from forged bounces. The post's ARC set ({@link ListArcSeal}) was added once, when the
 * post was stored: it covers only fields every copy shares, so nothing of it is computed per copy.
 */
final class ListCopies implements Composer {
    static final String KIND = "list";
    private static final Logger LOGGER = LoggerFactory.getLogger(ListCopies.class);

    private final DeliveryStore store;
    private final ListStore lists;
    private final UnsubscribeLinks unsubscribeLinks;
    private final DkimKeys keys;
    private final ListAddresses addresses;
    private final Map<String, Post> posts = new ConcurrentHashMap<>();

    ListCopies(DeliveryStore store, ListStore lists, UnsubscribeLinks unsubscribeLinks, DkimKeys keys, ListAddresses addresses) {
        this.store = store;
        this.lists = lists;
        this.unsubscribeLinks = unsubscribeLinks;
        this.keys = keys;
        this.addresses = addresses;
    }

    @Override
    public boolean shared() {
        return false;
    }

    @Override
    public Copy compose(DeliveryStore.Message message, String recipient) throws IOException {
        Post post = post(message);
        MailAddress member = address(recipient);
        byte[] header = post.header(member);
        byte[] body = post.message.body();
        String sender = addresses.verp(post.list.address(), member, message.id(), message.arrived()).asString();
        return new Copy(sender, header.length + (long) body.length, out -> {
            out.write(header);
            out.write(body);
        });
    }

    @Override
    public void forget(String messageId) {
        posts.remove(messageId);
    }

    private static MailAddress address(String address) throws IOException {
        try {
            return new MailAddress(address);
        } catch (AddressException e) {
            throw new IOException("not an address: " + address, e);
        }
    }

    private Post post(DeliveryStore.Message message) throws IOException {
        Post post = posts.get(message.id());
        if (post != null) {
            return post;
        }
        synchronized (this) {
            post = posts.get(message.id());
            if (post == null) {
                post = read(message);
            }
            return post;
        }
    }

    private Post read(DeliveryStore.Message message) throws IOException {
        Post post;
        MailAddress listAddress = address(message.list().orElseThrow(() -> new IOException(message.id() + " names no list")));
        Optional<MailingList> list = lists.find(listAddress);
        if (list.isEmpty()) {
            throw new IOException("the list " + listAddress.asString() + " no longer exists");
        }
        post = new Post(message, list.get(), RawMessage.parse(store.readContent(message.id())));
        if (posts.size() > 100) {
            posts.clear();
        }
        posts.put(message.id(), post);
        return post;
    }

    /** What every copy of a post shares. */
    private final class Post {
        final MailingList list;
        final RawMessage message;
        final List<String> fields;
        /** One per active key of the list's domain: RSA, and Ed25519 as a second signature when there is one. */
        final List<PrecomputedDkimSigner> signers;

        Post(DeliveryStore.Message stored, MailingList list, RawMessage message) {
            this.list = list;
            this.message = message;
            this.fields = message.fields();
            this.signers = keys.activeKeys(list.address().getDomain().asString()).stream()
                .map(key -> new PrecomputedDkimSigner(key, message.body(), stored.arrived().getEpochSecond()))
                .toList();
            if (signers.isEmpty()) {
                LOGGER.warn("list-post {} list={}: no DKIM key for {}, copies leave unsigned (postroom dkim generate)",
                    stored.id(), list.address().asString(), list.address().getDomain().asString());
            }
        }

        /** The header block of one member's copy: signatures, unsubscribe fields, then the post's fields. */
        byte[] header(MailAddress member) {
            List<String> perMember = ListHeaders.memberFields(list, member, unsubscribeLinks);
            List<String> all = new ArrayList<>(fields.size() + 4);
            all.addAll(perMember);
            all.addAll(fields);
            if (!signers.isEmpty()) {
                // Each signature covers the copy as it is without any DKIM-Signature of ours.
                List<String> unsigned = List.copyOf(all);
                all.addAll(0, signers.stream().map(signer -> signer.sign(unsigned)).toList());
            }
            return RawMessage.headerBlock(all);
        }
    }
}
