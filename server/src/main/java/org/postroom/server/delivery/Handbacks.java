package org.postroom.server.delivery;

import java.util.Map;

/** The hand-back of a message queued by another capability (list posts): processors and attributes, as JSON. */
public final class Handbacks {
    private Handbacks() {
    }

    /** {@code processors}: failure, delay, success → processor names; {@code attributes}: $recipient for the recipient. */
    public static String of(Map<String, String> processors, Map<String, String> attributes) {
        return Messages.handback(processors, attributes);
    }
}
