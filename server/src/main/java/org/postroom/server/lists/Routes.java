package org.postroom.server.lists;

import java.util.List;

/** Where mail for a member's domain goes: our own domain, remote hosts in order of preference, or nowhere yet. */
interface Routes {
    sealed interface Route permits Local, Remote, Unroutable {
    }

    record Local() implements Route {
    }

    /** Hosts to try in order; {@code key} identifies the destination for connection reuse. */
    record Remote(String key, List<SmtpConnection.Target> targets) implements Route {
    }

    /** No fast path (DNS failure, no MX): the relay processor deals with it, with its retries and DSNs. */
    record Unroutable(String reason) implements Route {
    }

    Route route(String domain);
}
