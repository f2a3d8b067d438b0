package org.postroom.server.delivery;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;

/** Copies of single messages (relayed mail, DSNs, notices): the content as queued, one transaction per domain. */
final class StoredMessage implements Composer {
    static final String KIND = "single";

    private final DeliveryStore store;

    StoredMessage(DeliveryStore store) {
        this.store = store;
    }

    @Override
    public boolean shared() {
        return true;
    }

    @Override
    public Copy compose(DeliveryStore.Message message, String recipient) throws IOException {
        long size = Files.size(store.contentFile(message.id()));
        return new Copy(message.sender(), size, out -> {
            try (InputStream in = store.openContent(message.id())) {
                in.transferTo(out);
            }
        });
    }
}
