package org.postroom.cli;

import java.util.Locale;
import java.util.regex.Pattern;

/** Checks mail addresses and domain names before anything is sent to the server. */
final class Names {
    private static final Pattern LABEL = Pattern.compile("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?");
    /** RFC 5322 dot-atom: the local parts people use (quoted local parts are refused). */
    private static final String ATOM = "[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+";
    private static final Pattern LOCAL_PART = Pattern.compile(ATOM + "(\\." + ATOM + ")*");

    private Names() {
    }

    /** The domain in lower case, or a usage error naming what is wrong. */
    static String domain(String text) {
        String domain = text.trim().toLowerCase(Locale.ROOT);
        if (!isDomain(domain)) {
            throw CliException.usage("'" + text + "' is not a domain name (letters, digits, hyphens and dots,"
                + " e.g. example.org)");
        }
        return domain;
    }

    /** The address with its domain in lower case, or a usage error naming what is wrong. */
    static String address(String text) {
        String address = text.trim();
        int at = address.lastIndexOf('@');
        if (at <= 0 || at == address.length() - 1) {
            throw CliException.usage("'" + text + "' is not a mail address (expected local-part@domain, e.g."
                + " alice@example.org)");
        }
        String local = address.substring(0, at);
        String domain = address.substring(at + 1).toLowerCase(Locale.ROOT);
        if (!LOCAL_PART.matcher(local).matches() || local.length() > 64) {
            throw CliException.usage("'" + text + "' is not a mail address: '" + local + "' is not a valid local part");
        }
        if (!isDomain(domain)) {
            throw CliException.usage("'" + text + "' is not a mail address: '" + address.substring(at + 1)
                + "' is not a domain name");
        }
        return local + "@" + domain;
    }

    static String domainOf(String address) {
        return address.substring(address.lastIndexOf('@') + 1);
    }

    private static boolean isDomain(String domain) {
        if (domain.isEmpty() || domain.length() > 253 || domain.startsWith(".") || domain.endsWith(".")) {
            return false;
        }
        for (String label : domain.split("\\.", -1)) {
            if (!LABEL.matcher(label).matches()) {
                return false;
            }
        }
        return true;
    }
}
