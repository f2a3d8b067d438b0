package org.postroom.server.webhooks;

import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

import org.postroom.events.MailEvent;

/**
 * The {@link MailEvent} types an endpoint can ask for, by their wire names ({@code delivered}, {@code deferred},
 * {@code failed}, {@code bounced}, {@code complained}, {@code unsubscribed}, {@code list-post-finished}), and an
 * endpoint's choice among them. Message acceptance, refusals and failed logins stay on the bus for metrics and
 * logs: one webhook per accepted message would cost more than it tells.
 *
 * @param all every offered type, including those a later version adds
 * @param types the types chosen when not {@code all}
 */
public record WebhookEventTypes(boolean all, Set<MailEvent.Type> types) {
    public static final Set<MailEvent.Type> OFFERED = Collections.unmodifiableSet(EnumSet.of(MailEvent.Type.DELIVERED,
        MailEvent.Type.DEFERRED, MailEvent.Type.FAILED, MailEvent.Type.BOUNCED, MailEvent.Type.COMPLAINED,
        MailEvent.Type.UNSUBSCRIBED, MailEvent.Type.LIST_POST_FINISHED));
    /** The word that asks for every offered type. */
    public static final String ALL = "all";
    public static final WebhookEventTypes EVERY = new WebhookEventTypes(true, Set.of());

    public WebhookEventTypes {
        types = all || types.isEmpty() ? Set.of() : Collections.unmodifiableSet(EnumSet.copyOf(types));
    }

    public boolean wants(MailEvent.Type type) {
        return OFFERED.contains(type) && (all || types.contains(type));
    }

    /** The wire names chosen ({@code all} alone when all). */
    public List<String> names() {
        return all ? List.of(ALL) : types.stream().map(MailEvent.Type::wireName).toList();
    }

    /** The stored form: {@code all}, or wire names joined by commas. */
    public String stored() {
        return String.join(",", names());
    }

    /** The offered wire names, comma-separated, for error messages and help. */
    public static String offeredNames() {
        return OFFERED.stream().map(MailEvent.Type::wireName).collect(Collectors.joining(", "));
    }

    /** The type of an offered wire name (any case), or empty. */
    public static Optional<MailEvent.Type> type(String name) {
        String wanted = name.strip().toLowerCase(Locale.ROOT);
        return OFFERED.stream().filter(type -> type.wireName().equals(wanted)).findFirst();
    }

    /**
     * The choice these names make: {@code all}, or offered wire names (any case, duplicates folded).
     *
     * @throws IllegalArgumentException naming the first unknown name, or when there is none
     */
    public static WebhookEventTypes parse(List<String> names) {
        Set<MailEvent.Type> types = EnumSet.noneOf(MailEvent.Type.class);
        for (String name : names) {
            if (name.strip().equalsIgnoreCase(ALL)) {
                return EVERY;
            }
            types.add(type(name).orElseThrow(() -> new IllegalArgumentException("'" + name.strip()
                + "' is not an event type (" + offeredNames() + ", or " + ALL + ")")));
        }
        if (types.isEmpty()) {
            throw new IllegalArgumentException("no event type given (" + offeredNames() + ", or " + ALL + ")");
        }
        return new WebhookEventTypes(false, types);
    }

    /** The stored form read back; names no longer offered are skipped. */
    public static WebhookEventTypes read(String stored) {
        if (stored == null || stored.isBlank() || stored.strip().equals(ALL)) {
            return EVERY;
        }
        Set<MailEvent.Type> types = EnumSet.noneOf(MailEvent.Type.class);
        for (String name : stored.split(",")) {
            type(name).ifPresent(types::add);
        }
        return new WebhookEventTypes(false, types);
    }
}
