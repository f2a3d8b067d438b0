package org.postroom.server.metrics;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.security.MessageDigest;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import org.postroom.server.PostroomSettings;

import com.sun.net.httpserver.BasicAuthenticator;

/**
 * The credentials of {@code /metrics}: {@code postroom.metrics.auth.file} names a file (relative to the
 * installation folder, or absolute) holding one line {@code USER:PASSWORD}. Like every secret of Postroom it must
 * be readable by the service user alone: a file that its group or others may read or write stops the start.
 */
public record MetricsAuth(String user, byte[] password) {
    public static final String KEY = "postroom.metrics.auth.file";
    private static final Set<PosixFilePermission> TOO_OPEN = EnumSet.of(PosixFilePermission.GROUP_READ,
        PosixFilePermission.GROUP_WRITE, PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_WRITE);

    /** Empty when no file is set; throws {@link PostroomSettings.InvalidSettingsException} naming the problem. */
    public static Optional<MetricsAuth> load(Path installation, MetricsSettings settings) {
        if (settings.authFile().isEmpty()) {
            return Optional.empty();
        }
        String value = settings.authFile().get();
        Path file = installation.resolve(value);
        if (!Files.isRegularFile(file)) {
            throw new PostroomSettings.InvalidSettingsException(KEY + "=" + value + ": " + file + " is not a file");
        }
        List<String> lines;
        try {
            Set<PosixFilePermission> permissions = Files.getPosixFilePermissions(file, LinkOption.NOFOLLOW_LINKS);
            if (permissions.stream().anyMatch(TOO_OPEN::contains)) {
                throw new PostroomSettings.InvalidSettingsException(KEY + "=" + value + ": " + file
                    + " may be read by other users (mode " + java.nio.file.attribute.PosixFilePermissions.toString(permissions)
                    + "): make it readable by the service user only (chmod 600 " + file + ")");
            }
            lines = Files.readAllLines(file, StandardCharsets.UTF_8).stream().filter(line -> !line.isBlank()).toList();
        } catch (IOException e) {
            throw new PostroomSettings.InvalidSettingsException(KEY + "=" + value + ": cannot read " + file + ": "
                + e.getMessage());
        }
        int colon = lines.size() == 1 ? lines.get(0).indexOf(':') : -1;
        if (colon < 1 || colon == lines.get(0).strip().length() - 1) {
            throw new PostroomSettings.InvalidSettingsException(KEY + "=" + value + ": " + file
                + " must hold one line USER:PASSWORD");
        }
        String line = lines.get(0).strip();
        return Optional.of(new MetricsAuth(line.substring(0, colon), line.substring(colon + 1).getBytes(StandardCharsets.UTF_8)));
    }

    /** Checks HTTP basic credentials against these, in constant time. */
    boolean accepts(String user, String password) {
        boolean userMatches = MessageDigest.isEqual(this.user.getBytes(StandardCharsets.UTF_8),
            user.getBytes(StandardCharsets.UTF_8));
        boolean passwordMatches = MessageDigest.isEqual(this.password, password.getBytes(StandardCharsets.UTF_8));
        return userMatches & passwordMatches;
    }

    BasicAuthenticator authenticator() {
        return new BasicAuthenticator("postroom metrics", StandardCharsets.UTF_8) {
            @Override
            public boolean checkCredentials(String username, String password) {
                return accepts(username, password);
            }
        };
    }
}
