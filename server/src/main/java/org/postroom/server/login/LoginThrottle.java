package org.postroom.server.login;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

import javax.inject.Inject;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.google.common.net.InetAddresses;

/**
 * Counts failed logins of SMTP AUTH, IMAP LOGIN/AUTHENTICATE and POP3 PASS per client address and per account,
 * and refuses further attempts of an address (or, for an account under attack, from addresses it never logged in
 * from) for a while. One instance is shared by every protocol; its state lives in memory only and is lost on
 * restart.
 *
 * <ul>
 *   <li>An address with {@code failures} failed logins within {@code window} is banned for {@code ban}; each further
 *       ban of the same address doubles the time, up to {@code banMax}. An address that stays clean for
 *       {@code banMax} after its last ban starts again from {@code ban}.</li>
 *   <li>An account with {@code accountFailures} failed logins within {@code window}, from any addresses, is locked
 *       for {@code ban}: during the lock it accepts logins only from addresses it logged in from successfully in the
 *       last 30 days (so an attacker cannot lock its owner out of their usual places).</li>
 *   <li>IPv6 clients are counted per /64 network (one host owns at least that much); IPv4 clients per address.</li>
 *   <li>Addresses of {@code exempt} are never counted nor refused.</li>
 * </ul>
 *
 * <p>Every outcome is one INFO line (the format {@code distribution/fail2ban/filter.d/postroom.conf} matches):
 * {@code login ok|failed|refused protocol=P client=ADDRESS account=NAME}; the account comes last and is
 * stripped of spaces and control characters, so a user name cannot forge the rest of a line.
 */
public class LoginThrottle {
    private static final Logger LOGGER = LoggerFactory.getLogger(LoginThrottle.class);
    static final Duration KNOWN_ADDRESS_MEMORY = Duration.ofDays(30);
    static final int KNOWN_ADDRESSES_PER_ACCOUNT = 16;
    /** Bounds the memory an attacker with many addresses or account names can make the server hold. */
    static final int MAX_TRACKED = 100_000;
    private static final int MAX_ACCOUNT_LENGTH = 256;

    /** The protocol named in the log lines. */
    public enum Protocol {
        SMTP, IMAP, POP3;

        String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** The throttle's settings ({@code postroom.login.throttle.*}). */
    public record Settings(int failures, Duration window, Duration ban, Duration banMax, int accountFailures,
                           Networks exempt) {
        public static final Map<String, String> DEFAULTS = org.postroom.server.SettingsReader.declare(
            "postroom.login.throttle.failures", "10",
            "postroom.login.throttle.window", "10m",
            "postroom.login.throttle.ban", "10m",
            "postroom.login.throttle.ban.max", "1d",
            "postroom.login.throttle.account.failures", "30",
            "postroom.login.throttle.exempt", "");

        public static Settings read(org.postroom.server.SettingsReader in) {
            String counting = "must be a whole number (0 turns this counting off)";
            int failures = in.whole("postroom.login.throttle.failures", 0, 999_999, counting);
            String period = "must be a duration such as 10m, 1h or 1d (not zero)";
            Duration window = in.duration("postroom.login.throttle.window", period);
            Duration ban = in.duration("postroom.login.throttle.ban", period);
            Duration banMax = in.duration("postroom.login.throttle.ban.max", period);
            if (banMax.compareTo(ban) < 0) {
                in.problem("postroom.login.throttle.ban.max=" + in.text("postroom.login.throttle.ban.max")
                    + " must not be shorter than postroom.login.throttle.ban=" + in.text("postroom.login.throttle.ban"));
                banMax = ban;
            }
            int accountFailures = in.whole("postroom.login.throttle.account.failures", 0, 999_999, counting);
            return new Settings(failures, window, ban, banMax, accountFailures, Networks.read(in, "postroom.login.throttle.exempt"));
        }

        /** {@code failures} or {@code accountFailures} 0 turns that counting off. */
        boolean addressesCounted() {
            return failures > 0;
        }

        boolean accountsCounted() {
            return accountFailures > 0;
        }
    }

    /** Why an attempt is refused without checking its password, and until when. */
    public record Refusal(String reason, Instant until) {
    }

    /** One entry of {@code postroom ban list}: an address (or IPv6 /64) or an account, and its ban. */
    public record Ban(String kind, String key, Instant until, int offences, int recentFailures) {
    }

    private static final class AddressState {
        final Deque<Instant> failures = new ArrayDeque<>();
        Instant bannedUntil = Instant.MIN;
        int offences;
    }

    private static final class AccountState {
        final Deque<Instant> failures = new ArrayDeque<>();
        Instant lockedUntil = Instant.MIN;
        final Map<String, Instant> knownAddresses = new LinkedHashMap<>();
    }

    private final Settings settings;
    private final Clock clock;
    private final org.postroom.events.MailEvents events;
    private final Map<String, AddressState> addresses = new HashMap<>();
    private final Map<String, AccountState> accounts = new HashMap<>();

    @Inject
    public LoginThrottle(Settings settings, org.postroom.events.MailEvents events) {
        this(settings, Clock.systemUTC(), events);
    }

    public LoginThrottle(Settings settings, Clock clock) {
        this(settings, clock, org.postroom.events.MailEvents.NONE);
    }

    public LoginThrottle(Settings settings, Clock clock, org.postroom.events.MailEvents events) {
        this.settings = settings;
        this.clock = clock;
        this.events = events;
    }

    /** LOGIN_FAILED on the event bus (metrics, webhooks): {@code credentials} wrong, or {@code banned} address. */
    private void publishFailure(Protocol protocol, InetAddress client, String account, String reason) {
        events.publish(org.postroom.events.MailEvent.of(org.postroom.events.MailEvent.Type.LOGIN_FAILED)
            .with(org.postroom.events.MailEvent.Field.PROTOCOL, protocol.label())
            .with(org.postroom.events.MailEvent.Field.CLIENT, client == null ? null : text(client))
            .with(org.postroom.events.MailEvent.Field.USER, printable(account))
            .with(org.postroom.events.MailEvent.Field.REASON, reason)
            .build());
    }

    /**
     * Whether an attempt must be refused before its password is checked; logs the refusal. Call it before
     * verifying the credentials, then {@link #failed} or {@link #succeeded} when they were checked.
     */
    public synchronized Optional<Refusal> refusal(Protocol protocol, InetAddress client, String account) {
        if (client == null || settings.exempt().contains(client)) {
            return Optional.empty();
        }
        Instant now = clock.instant();
        Optional<Refusal> refusal = Optional.empty();
        AddressState address = addresses.get(addressKey(client));
        if (address != null && address.bannedUntil.isAfter(now)) {
            refusal = Optional.of(new Refusal("address banned", address.bannedUntil));
        } else {
            AccountState state = accounts.get(accountKey(account));
            if (state != null && state.lockedUntil.isAfter(now) && !known(state, client, now)) {
                refusal = Optional.of(new Refusal("account locked for new addresses", state.lockedUntil));
            }
        }
        refusal.ifPresent(r -> LOGGER.info("login refused protocol={} client={} account={}: {} until {}",
            protocol.label(), text(client), printable(account), r.reason(), r.until()));
        refusal.ifPresent(r -> publishFailure(protocol, client, account,
            r.reason().startsWith("account") ? "locked" : "banned"));
        return refusal;
    }

    /** A login whose credentials were wrong: logged, counted, and maybe the start of a ban. */
    public synchronized void failed(Protocol protocol, InetAddress client, String account) {
        LOGGER.info("login failed protocol={} client={} account={}", protocol.label(), text(client), printable(account));
        publishFailure(protocol, client, account, "credentials");
        if (client == null || settings.exempt().contains(client)) {
            return;
        }
        Instant now = clock.instant();
        if (settings.addressesCounted()) {
            countAddressFailure(addressKey(client), now);
        }
        if (settings.accountsCounted()) {
            countAccountFailure(accountKey(account), now);
        }
    }

    /** A login with the right credentials: logged; its address becomes one the account is known to log in from. */
    public synchronized void succeeded(Protocol protocol, InetAddress client, String account) {
        LOGGER.info("login ok protocol={} client={} account={}", protocol.label(), text(client), printable(account));
        if (client == null || !settings.accountsCounted()) {
            return;
        }
        Instant now = clock.instant();
        AccountState state = accounts.get(accountKey(account));
        if (state == null) {
            if (!room(accounts, now)) {
                return;
            }
            state = new AccountState();
            accounts.put(accountKey(account), state);
        }
        state.knownAddresses.remove(addressKey(client));
        state.knownAddresses.put(addressKey(client), now);
        while (state.knownAddresses.size() > KNOWN_ADDRESSES_PER_ACCOUNT) {
            Iterator<String> oldest = state.knownAddresses.keySet().iterator();
            oldest.next();
            oldest.remove();
        }
    }

    /** The addresses and accounts refused now, the latest ban first. */
    public synchronized List<Ban> bans() {
        Instant now = clock.instant();
        List<Ban> bans = new ArrayList<>();
        addresses.forEach((key, state) -> {
            if (state.bannedUntil.isAfter(now)) {
                bans.add(new Ban("address", key, state.bannedUntil, state.offences, recent(state.failures, now)));
            }
        });
        accounts.forEach((key, state) -> {
            if (state.lockedUntil.isAfter(now)) {
                bans.add(new Ban("account", key, state.lockedUntil, 0, recent(state.failures, now)));
            }
        });
        bans.sort(Comparator.comparing(Ban::until).reversed());
        return bans;
    }

    /**
     * Lifts the ban of an address (or the lock of an account) and forgets its failures and earlier bans.
     *
     * @param target an IP address, an IPv6 network as {@code ban list} shows it, or an account
     * @return false when it was neither banned nor counted
     */
    public synchronized boolean lift(String target) {
        String key = target.strip();
        if (InetAddresses.isInetAddress(key)) {
            key = addressKey(InetAddresses.forString(key));
        }
        boolean lifted = addresses.remove(key) != null;
        AccountState account = accounts.get(key.toLowerCase(Locale.ROOT));
        if (account != null && (account.lockedUntil.isAfter(Instant.MIN) || !account.failures.isEmpty())) {
            account.lockedUntil = Instant.MIN;
            account.failures.clear();
            lifted = true;
        }
        if (lifted) {
            LOGGER.info("login ban of {} lifted", key);
        }
        return lifted;
    }

    private void countAddressFailure(String key, Instant now) {
        AddressState state = addresses.get(key);
        if (state == null) {
            if (!room(addresses, now)) {
                return;
            }
            state = new AddressState();
            addresses.put(key, state);
        }
        if (state.offences > 0 && state.bannedUntil.plus(settings.banMax()).isBefore(now)) {
            state.offences = 0;
        }
        prune(state.failures, now);
        state.failures.addLast(now);
        if (state.failures.size() >= settings.failures()) {
            state.offences++;
            Duration ban = banTime(state.offences);
            state.bannedUntil = now.plus(ban);
            state.failures.clear();
            LOGGER.info("login ban client={} for {} ({} failed logins within {}, ban {} in a row)", key, ban,
                settings.failures(), settings.window(), state.offences);
        }
    }

    private void countAccountFailure(String key, Instant now) {
        AccountState state = accounts.get(key);
        if (state == null) {
            if (!room(accounts, now)) {
                return;
            }
            state = new AccountState();
            accounts.put(key, state);
        }
        prune(state.failures, now);
        state.failures.addLast(now);
        if (state.failures.size() >= settings.accountFailures()) {
            state.lockedUntil = now.plus(settings.ban());
            state.failures.clear();
            LOGGER.info("login lock account={} for {} ({} failed logins within {}): only addresses it logged in from"
                + " are accepted", printable(key), settings.ban(), settings.accountFailures(), settings.window());
        }
    }

    /** {@code ban}, doubled for every earlier ban in a row, at most {@code banMax}. */
    Duration banTime(int offences) {
        Duration ban = settings.ban();
        for (int i = 1; i < offences && ban.compareTo(settings.banMax()) < 0; i++) {
            ban = ban.multipliedBy(2);
        }
        return ban.compareTo(settings.banMax()) > 0 ? settings.banMax() : ban;
    }

    private boolean known(AccountState state, InetAddress client, Instant now) {
        Instant last = state.knownAddresses.get(addressKey(client));
        return last != null && last.plus(KNOWN_ADDRESS_MEMORY).isAfter(now);
    }

    private void prune(Deque<Instant> failures, Instant now) {
        Instant oldest = now.minus(settings.window());
        while (!failures.isEmpty() && !failures.peekFirst().isAfter(oldest)) {
            failures.removeFirst();
        }
    }

    private int recent(Deque<Instant> failures, Instant now) {
        Instant oldest = now.minus(settings.window());
        return (int) failures.stream().filter(at -> at.isAfter(oldest)).count();
    }

    /** Whether one more entry fits, after forgetting those that no longer matter. */
    private <T> boolean room(Map<String, T> map, Instant now) {
        if (map.size() < MAX_TRACKED) {
            return true;
        }
        Instant oldest = now.minus(settings.window());
        map.values().removeIf(state -> {
            if (state instanceof AddressState address) {
                return address.bannedUntil.plus(settings.banMax()).isBefore(now)
                    && (address.failures.isEmpty() || !address.failures.peekLast().isAfter(oldest));
            }
            AccountState account = (AccountState) state;
            account.knownAddresses.values().removeIf(at -> at.plus(KNOWN_ADDRESS_MEMORY).isBefore(now));
            return !account.lockedUntil.isAfter(now) && account.knownAddresses.isEmpty()
                && (account.failures.isEmpty() || !account.failures.peekLast().isAfter(oldest));
        });
        if (map.size() < MAX_TRACKED) {
            return true;
        }
        LOGGER.warn("login throttle: {} entries tracked, not counting more until some expire", MAX_TRACKED);
        return false;
    }

    /** IPv4: the address; IPv6: its /64 network, written {@code 2001:db8:1:2::/64}. */
    static String addressKey(InetAddress address) {
        if (address instanceof Inet6Address) {
            byte[] bytes = address.getAddress();
            for (int i = 8; i < 16; i++) {
                bytes[i] = 0;
            }
            try {
                return InetAddresses.toAddrString(InetAddress.getByAddress(bytes)) + "/64";
            } catch (java.net.UnknownHostException e) {
                throw new IllegalStateException(e);
            }
        }
        return InetAddresses.toAddrString(address);
    }

    static String accountKey(String account) {
        return account == null ? "" : account.strip().toLowerCase(Locale.ROOT);
    }

    private static String text(InetAddress client) {
        return client == null ? "unknown" : InetAddresses.toAddrString(client);
    }

    /** The account as one log token: printable ASCII only (others become '?'), at most 256 characters. */
    static String printable(String account) {
        if (account == null || account.isEmpty()) {
            return "-";
        }
        StringBuilder text = new StringBuilder();
        account.codePoints().limit(MAX_ACCOUNT_LENGTH)
            .forEach(c -> text.append(c > 0x20 && c < 0x7f ? (char) c : '?'));
        return text.toString();
    }
}
