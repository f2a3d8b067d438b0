package org.postroom.server.lists;

import java.util.Map;

import org.postroom.lists.delivery.Verp;
import org.postroom.server.SettingsReader;

/**
 * The grammar of list addresses: how a member's copy carries its VERP bounce address ({@code postroom.lists.verp});
 * and whether list posts get an ARC seal ({@code postroom.arc.seal}, RFC 8617, see {@link ListArcSeal}).
 */
public record ListSettings(Verp verp, boolean arcSeal) {
    public static final Map<String, String> DEFAULTS = SettingsReader.declare(
        "postroom.lists.verp", Verp.DEFAULT_FORMAT,
        "postroom.arc.seal", "true");

    public ListSettings(Verp verp) {
        this(verp, true);
    }

    public static ListSettings read(SettingsReader in) {
        String format = in.text("postroom.lists.verp");
        java.util.Optional<String> problem = Verp.problem(format);
        problem.ifPresent(message -> in.problem("postroom.lists.verp=" + message));
        boolean arcSeal = in.flag("postroom.arc.seal");
        return new ListSettings(Verp.of(problem.isPresent() ? Verp.DEFAULT_FORMAT : format), arcSeal);
    }
}
