package org.postroom.it;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.List;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;

/** Self-signed certificates for test servers, made with the JDK's keytool, and a trust store holding them. */
public final class TestCertificates {
    public static final String PASSWORD = "changeit";

    private final Path folder;

    public TestCertificates(Path folder) {
        this.folder = folder;
    }

    /**
     * A key pair with a self-signed certificate whose subjectAltName is {@code san} (keytool syntax, e.g.
     * {@code dns:localhost} or {@code ip:127.0.0.1}), added to {@link #trustStore()}; returns a server TLS context.
     */
    public SSLContext server(String alias, String san) throws Exception {
        Path keyStore = folder.resolve(alias + ".p12");
        keytool("-genkeypair", "-alias", alias, "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=" + alias,
            "-ext", "san=" + san, "-validity", "2", "-keystore", keyStore.toString(), "-storetype", "PKCS12",
            "-storepass", PASSWORD, "-keypass", PASSWORD);
        Path certificate = folder.resolve(alias + ".crt");
        keytool("-exportcert", "-alias", alias, "-keystore", keyStore.toString(), "-storepass", PASSWORD,
            "-file", certificate.toString());
        keytool("-importcert", "-noprompt", "-alias", alias, "-file", certificate.toString(), "-keystore",
            trustStore().toString(), "-storetype", "PKCS12", "-storepass", PASSWORD);
        KeyStore keys = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(keyStore)) {
            keys.load(in, PASSWORD.toCharArray());
        }
        KeyManagerFactory managers = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        managers.init(keys, PASSWORD.toCharArray());
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(managers.getKeyManagers(), null, null);
        return context;
    }

    /** The PKCS#12 trust store with every certificate made so far (password {@value #PASSWORD}). */
    public Path trustStore() {
        return folder.resolve("trust.p12");
    }

    private static void keytool(String... arguments) throws IOException, InterruptedException {
        List<String> command = new java.util.ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
        command.addAll(List.of(arguments));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes());
        if (process.waitFor() != 0) {
            throw new IOException("keytool failed: " + output);
        }
    }
}
