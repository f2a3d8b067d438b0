package org.postroom.server.delivery.policy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

import org.postroom.auth.dmarc.TxtLookup;
import org.postroom.server.data.DurableFiles;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The MTA-STS policies of recipient domains, as RFC 8461 section 5.1 says a sending MTA keeps them: looked up through
 * the {@code _mta-sts} TXT record, fetched when its {@code id} is new, cached for the policy's {@code max_age} and
 * <em>kept on disk</em> ({@code var/mta-sts/policies.json}), so that a restart does not forget an {@code enforce}
 * policy (an attacker who strips the TXT record, or blocks the policy host, gets the cached policy, not clear text).
 *
 * <ul>
 * <li>TXT with an id that matches the cached policy: the cached policy (fetched again once a day, so a domain
 * that changed its policy without changing the id is seen within a day);</li>
 * <li>TXT with a new id, or nothing cached: fetched; a fetch that fails or a policy that does not parse leaves the
 * cached policy in force if one is, else no policy, and is reported (TLS-RPT);</li>
 * <li>no TXT record, or a DNS failure: the cached policy until it expires, else none.</li>
 * </ul>
 */
public final class MtaStsPolicies {
    private static final Logger LOGGER = LoggerFactory.getLogger(MtaStsPolicies.class);
    static final Duration REFRESH = Duration.ofDays(1);
    static final int MAX_CACHED = 100_000;
    private static final ObjectMapper JSON = new ObjectMapper();

    /** A domain's policy as this server knows it. */
    public record Known(String domain, String id, MtaStsPolicy policy, String body, Instant fetched, Instant expires) {
    }

    /**
     * What applies to a domain now: its policy (empty when none applies), and what went wrong finding it (a fetch
     * error, an invalid policy: TLS-RPT reports it).
     */
    public record Answer(Optional<Known> known, Optional<TlsFailure> problem) {
        static final Answer NONE = new Answer(Optional.empty(), Optional.empty());

        /** The policy when it is one to apply ({@code enforce} or {@code testing}). */
        public Optional<MtaStsPolicy> active() {
            return known.map(Known::policy).filter(policy -> policy.mode() != MtaStsPolicy.Mode.NONE);
        }
    }

    /** Fetches a domain's policy text ({@link MtaStsFetcher}). */
    public interface Fetch {
        String fetch(String domain) throws TlsFailure;
    }

    private final TxtLookup dns;
    private final Fetch fetcher;
    private final Optional<Path> file;
    private final Clock clock;
    private final Map<String, Known> cache = new ConcurrentHashMap<>();

    public MtaStsPolicies(TxtLookup dns, Fetch fetcher, Optional<Path> file, Clock clock) {
        this.dns = dns;
        this.fetcher = fetcher;
        this.file = file;
        this.clock = clock;
        file.ifPresent(this::load);
    }

    /** The policy that applies to mail for {@code domain} now; may look up DNS and fetch over HTTPS (bounded). */
    public Answer policy(String domain) {
        String name = MtaStsPolicy.normalize(domain);
        Instant now = clock.instant();
        Optional<Known> cached = Optional.ofNullable(cache.get(name)).filter(known -> known.expires().isAfter(now));
        List<String> txt;
        try {
            txt = dns.txt("_mta-sts." + name);
        } catch (TxtLookup.TemporaryDnsFailure e) {
            return new Answer(cached, Optional.empty());
        }
        Optional<String> id = MtaStsPolicy.recordId(txt);
        if (id.isEmpty()) {
            return new Answer(cached, Optional.empty());
        }
        if (cached.isPresent() && cached.get().id().equals(id.get())
            && Duration.between(cached.get().fetched(), now).compareTo(REFRESH) < 0) {
            return new Answer(cached, Optional.empty());
        }
        String body;
        try {
            body = fetcher.fetch(name);
        } catch (TlsFailure e) {
            LOGGER.info("mta-sts domain={} id={} fetch failed ({}): {}{}", name, id.get(), e.resultType(), e.getMessage(),
                cached.isPresent() ? "; the cached policy (id=" + cached.get().id() + ") stays in force" : "");
            return new Answer(cached, Optional.of(e));
        }
        MtaStsPolicy.Parsed parsed = MtaStsPolicy.parse(body);
        if (parsed.policy().isEmpty()) {
            String problem = "the MTA-STS policy of " + name + " is invalid: " + parsed.problem().orElse("?");
            LOGGER.info("mta-sts domain={} id={} invalid policy: {}{}", name, id.get(), parsed.problem().orElse("?"),
                cached.isPresent() ? "; the cached policy (id=" + cached.get().id() + ") stays in force" : "");
            return new Answer(cached, Optional.of(new TlsFailure("sts-policy-invalid", problem)));
        }
        MtaStsPolicy policy = parsed.policy().get();
        Known known = new Known(name, id.get(), policy, body, now, now.plus(policy.maxAge()));
        Known before = cache.put(name, known);
        if (before == null || !before.body().equals(body) || !before.id().equals(known.id())) {
            LOGGER.info("mta-sts domain={} id={} mode={} mx={} max_age={}s", name, known.id(), policy.mode().text(),
                String.join(",", policy.mx()), policy.maxAge().toSeconds());
        }
        trim();
        save();
        return new Answer(Optional.of(known), Optional.empty());
    }

    /** What is cached for {@code domain}, expired or not (for the CLI). */
    public Optional<Known> cached(String domain) {
        return Optional.ofNullable(cache.get(MtaStsPolicy.normalize(domain)));
    }

    private void trim() {
        if (cache.size() <= MAX_CACHED) {
            return;
        }
        Instant now = clock.instant();
        cache.values().removeIf(known -> !known.expires().isAfter(now));
        if (cache.size() > MAX_CACHED) {
            cache.values().stream().sorted(Comparator.comparing(Known::fetched)).limit(cache.size() - MAX_CACHED)
                .map(Known::domain).toList().forEach(cache::remove);
        }
    }

    private synchronized void save() {
        if (file.isEmpty()) {
            return;
        }
        ArrayNode all = JSON.createArrayNode();
        for (Known known : cache.values()) {
            ObjectNode entry = all.addObject();
            entry.put("domain", known.domain());
            entry.put("id", known.id());
            entry.put("fetched", known.fetched().toString());
            entry.put("expires", known.expires().toString());
            entry.put("policy", known.body());
        }
        Path target = file.get();
        try {
            Files.createDirectories(target.getParent());
            DurableFiles.write(target, JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(all));
        } catch (IOException e) {
            LOGGER.warn("mta-sts policies not saved to {}: {}", target, e.toString());
        }
    }

    private void load(Path path) {
        if (!Files.exists(path)) {
            return;
        }
        try {
            JsonNode all = JSON.readTree(path.toFile());
            Instant now = clock.instant();
            for (JsonNode entry : all) {
                Instant expires = Instant.parse(entry.path("expires").asText());
                MtaStsPolicy.Parsed parsed = MtaStsPolicy.parse(entry.path("policy").asText());
                if (expires.isAfter(now) && parsed.policy().isPresent()) {
                    String domain = entry.path("domain").asText().toLowerCase(Locale.ROOT);
                    cache.put(domain, new Known(domain, entry.path("id").asText(), parsed.policy().get(),
                        entry.path("policy").asText(), Instant.parse(entry.path("fetched").asText()), expires));
                }
            }
            LOGGER.info("mta-sts: {} cached policies read from {}", cache.size(), path);
        } catch (IOException | RuntimeException e) {
            LOGGER.warn("mta-sts: cached policies in {} unreadable, starting without them: {}", path, e.toString());
        }
    }
}
