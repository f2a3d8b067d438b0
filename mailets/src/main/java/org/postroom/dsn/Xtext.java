package org.postroom.dsn;

/** RFC 3461 xtext: {@code +XX} stands for the byte of hex value XX; ENVID and ORCPT travel in it. */
public final class Xtext {
    private Xtext() {
    }

    /** The decoded text; a malformed {@code +} escape is kept as it is. */
    public static String decode(String xtext) {
        StringBuilder decoded = new StringBuilder(xtext.length());
        for (int i = 0; i < xtext.length(); i++) {
            char c = xtext.charAt(i);
            if (c == '+' && i + 2 < xtext.length() && isHex(xtext.charAt(i + 1)) && isHex(xtext.charAt(i + 2))) {
                decoded.append((char) Integer.parseInt(xtext.substring(i + 1, i + 3), 16));
                i += 2;
            } else {
                decoded.append(c);
            }
        }
        return decoded.toString();
    }

    private static boolean isHex(char c) {
        return Character.digit(c, 16) >= 0;
    }
}
