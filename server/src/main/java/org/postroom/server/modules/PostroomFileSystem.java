package org.postroom.server.modules;

import java.io.File;
import java.io.FileInputStream;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.Set;

import org.apache.james.filesystem.api.FileSystem;

/**
 * James's file system, with every relative {@code file://} location anchored in the installation folder instead
 * of the JVM's current directory, sieve scripts kept under {@code var/sieve}, and the PEM files named in
 * {@code postroom.tls.*} readable wherever they are (Let's Encrypt keeps them under {@code /etc/letsencrypt},
 * outside the folders James otherwise allows).
 */
public class PostroomFileSystem implements FileSystem {
    private static final String FILE = "file://";
    private static final String SIEVE = "file://sieve/";

    private final FileSystem delegate;
    private final Path home;
    private final Set<Path> allowedOutside;

    public PostroomFileSystem(FileSystem delegate, Path home, Set<Path> allowedOutside) {
        this.delegate = delegate;
        this.home = home;
        this.allowedOutside = allowedOutside;
    }

    @Override
    public InputStream getResource(String url) throws IOException {
        File outside = allowedOutside(url);
        if (outside != null) {
            return new FileInputStream(outside);
        }
        return delegate.getResource(anchor(url));
    }

    @Override
    public File getFile(String fileURL) throws FileNotFoundException {
        File outside = allowedOutside(fileURL);
        if (outside != null) {
            return outside;
        }
        return delegate.getFile(anchor(fileURL));
    }

    @Override
    public File getBasedir() throws FileNotFoundException {
        return delegate.getBasedir();
    }

    private File allowedOutside(String url) {
        if (url.startsWith(FILE + "/")) {
            Path path = Path.of(url.substring(FILE.length())).normalize();
            if (allowedOutside.contains(path)) {
                return path.toFile();
            }
        }
        return null;
    }

    String anchor(String url) {
        if (url.startsWith(SIEVE)) {
            return FILE + home.resolve("var/sieve").resolve(url.substring(SIEVE.length()));
        }
        if (url.startsWith(FILE) && !url.startsWith(FILE + "/") && !url.startsWith(FILE + "conf/")
            && !url.startsWith(FILE + "var/")) {
            return FILE + home.resolve(url.substring(FILE.length()));
        }
        return url;
    }
}
