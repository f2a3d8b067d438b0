package org.postroom.server.dns;

/** Host names as they arrive from clients: checked in one pass, without regular expressions. */
public final class DomainNames {
    static final int MAX_LENGTH = 253;

    private DomainNames() {
    }

    /**
     * Letters, digits and hyphens in dot-separated labels of 1 to 63 characters, neither starting nor ending with a
     * hyphen; at most {@value #MAX_LENGTH} characters.
     */
    public static boolean isHostName(String name) {
        if (name.isEmpty() || name.length() > MAX_LENGTH) {
            return false;
        }
        int labelStart = 0;
        for (int i = 0; i <= name.length(); i++) {
            char c = i == name.length() ? '.' : name.charAt(i);
            if (c == '.') {
                int length = i - labelStart;
                if (length == 0 || length > 63 || name.charAt(labelStart) == '-' || name.charAt(i - 1) == '-') {
                    return false;
                }
                labelStart = i + 1;
            } else if (!(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-')) {
                return false;
            }
        }
        return true;
    }
}
