package org.postroom.server.unsubscribe;

import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.io.Writer;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

import javax.servlet.http.HttpServletRequest;
import javax.servlet.http.HttpServletResponse;

import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.server.ConnectionLimit;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The public HTTP(S) listener: its own Jetty instance on its own port, sharing nothing with the admin API (a separate
 * server, thread pool, connector and handler). It serves one-click unsubscribe ({@code /u/}) and the local domains'
 * well-known files (the MTA-STS policy, mail client autoconfiguration), and nothing else. Jetty parses request
 * headers without holding a thread, so slow clients cost a connection, not a worker; a body that trickles in below
 * {@value #MIN_BODY_RATE} bytes/s is cut off; every connection is closed after {@code postroom.public.timeout}
 * whatever it does (slow-loris), the number of connections is capped, request headers are limited to 8 KB and bodies
 * to 4 KB.
 */
public class PublicListener implements org.apache.james.lifecycle.api.Startable {
    private static final Logger LOGGER = LoggerFactory.getLogger(PublicListener.class);
    static final int MAX_THREADS = 16;
    static final int HEADER_SIZE = 8192;
    /** Bytes per second; a one-click body is 26 bytes, sent at once by every real client. */
    static final long MIN_BODY_RATE = 64;

    public record Options(String address, int port, boolean tls, Path certificate, Path privateKey,
                          Duration timeout, int maxConnections) {
    }

    private final Options options;
    private final Handler handler;
    private Server server;
    private ScheduledExecutorService reaper;

    public PublicListener(Options options, Handler handler) {
        this.options = options;
        this.handler = handler;
    }

    public synchronized void start() throws Exception {
        QueuedThreadPool threads = new QueuedThreadPool(MAX_THREADS, 2, 60_000);
        threads.setName("postroom-public");
        threads.setDaemon(true);
        server = new Server(threads);
        server.setStopAtShutdown(true);
        server.setStopTimeout(5_000);

        HttpConfiguration http = new HttpConfiguration();
        http.setSendServerVersion(false);
        http.setSendXPoweredBy(false);
        http.setSendDateHeader(true);
        http.setRequestHeaderSize(HEADER_SIZE);
        http.setResponseHeaderSize(HEADER_SIZE);
        http.setIdleTimeout(options.timeout().toMillis());
        // A body trickling in holds a worker thread: below this rate the request is cut off (408).
        http.setMinRequestDataRate(MIN_BODY_RATE);
        // Dispatch on the headers, so that a declared oversized body is refused before it is sent.
        http.setDelayDispatchUntilContent(false);
        ServerConnector connector;
        if (options.tls()) {
            http.addCustomizer(new SecureRequestCustomizer(false));
            SslContextFactory.Server ssl = new SslContextFactory.Server();
            char[] password = "postroom".toCharArray();
            ssl.setKeyStore(keyStore(options.certificate(), options.privateKey(), password));
            ssl.setKeyStorePassword("postroom");
            ssl.setKeyManagerPassword("postroom");
            ssl.setIncludeProtocols("TLSv1.2", "TLSv1.3");
            connector = new ServerConnector(server, 1, 1, new SslConnectionFactory(ssl, "http/1.1"),
                new HttpConnectionFactory(http));
        } else {
            connector = new ServerConnector(server, 1, 1, new HttpConnectionFactory(http));
        }
        connector.setHost(options.address());
        connector.setPort(options.port());
        connector.setIdleTimeout(options.timeout().toMillis());
        connector.setAcceptQueueSize(64);
        ScheduledThreadPoolExecutor closer = new ScheduledThreadPoolExecutor(1, runnable -> {
            Thread thread = new Thread(runnable, "postroom-public-reaper");
            thread.setDaemon(true);
            return thread;
        });
        closer.setRemoveOnCancelPolicy(true);
        reaper = closer;
        connector.addBean(new LifetimeLimit(reaper, options.timeout()));
        server.addConnector(connector);
        server.addBean(new ConnectionLimit(options.maxConnections(), server));
        server.setErrorHandler(new PlainErrorHandler());
        server.setHandler(handler);
        server.start();
        LOGGER.info("Public listener (one-click unsubscribe, MTA-STS, autoconfig) on {}://{}:{}",
            options.tls() ? "https" : "http", options.address(), connector.getLocalPort());
    }

    public synchronized void stop() {
        try {
            if (server != null) {
                server.stop();
            }
        } catch (Exception e) {
            LOGGER.warn("public listener did not stop cleanly: {}", e.toString());
        }
        if (reaper != null) {
            reaper.shutdownNow();
        }
    }

    /** Closes every connection {@code lifetime} after it opened, whatever the client is doing. */
    static final class LifetimeLimit implements Connection.Listener {
        private final ScheduledExecutorService reaper;
        private final Duration lifetime;
        private final Map<Connection, ScheduledFuture<?>> pending = new ConcurrentHashMap<>();

        LifetimeLimit(ScheduledExecutorService reaper, Duration lifetime) {
            this.reaper = reaper;
            this.lifetime = lifetime;
        }

        @Override
        public void onOpened(Connection connection) {
            pending.put(connection, reaper.schedule(() -> {
                pending.remove(connection);
                connection.getEndPoint().close();
            }, lifetime.toMillis(), TimeUnit.MILLISECONDS));
        }

        @Override
        public void onClosed(Connection connection) {
            ScheduledFuture<?> close = pending.remove(connection);
            if (close != null) {
                close.cancel(false);
            }
        }
    }

    /** Jetty's own errors (bad request line, header too large, ...) as Postroom's fixed pages, never Jetty's text. */
    static final class PlainErrorHandler extends ErrorHandler {
        PlainErrorHandler() {
            setShowStacks(false);
            setShowServlet(false);
            setShowMessageInTitle(false);
        }

        @Override
        public boolean errorPageForMethod(String method) {
            return true;
        }

        @Override
        protected void generateAcceptableResponse(Request baseRequest, HttpServletRequest request,
                                                  HttpServletResponse response, int code, String message) throws IOException {
            baseRequest.setHandled(true);
            Pages.write(response, code, Pages.title(code), "<p>The request was refused.</p>");
        }

        @Override
        protected void writeErrorPage(HttpServletRequest request, Writer writer, int code, String message,
                                      boolean showStacks) throws IOException {
            writer.write(Pages.html(Pages.title(code), "<p>The request was refused.</p>"));
        }

        @Override
        public ByteBuffer badMessageError(int status, String reason, HttpFields fields) {
            fields.put(new HttpField(HttpHeader.CONTENT_TYPE, "text/html; charset=utf-8"));
            fields.put(new HttpField(HttpHeader.CACHE_CONTROL, "no-store"));
            fields.put(new HttpField(HttpHeader.CONNECTION, "close"));
            fields.put(new HttpField("X-Content-Type-Options", "nosniff"));
            return ByteBuffer.wrap(Pages.html(Pages.title(status), "<p>The request was refused.</p>")
                .getBytes(StandardCharsets.UTF_8));
        }
    }

    /** A key store holding the server's PEM certificate chain and private key (PKCS#8, PKCS#1 or EC). */
    static KeyStore keyStore(Path certificate, Path privateKey, char[] password) throws IOException, GeneralSecurityException {
        Certificate[] chain;
        try (InputStream in = Files.newInputStream(certificate)) {
            chain = CertificateFactory.getInstance("X.509").generateCertificates(in).toArray(new Certificate[0]);
        }
        if (chain.length == 0) {
            throw new GeneralSecurityException("no certificate in " + certificate);
        }
        PrivateKey key;
        try (Reader reader = Files.newBufferedReader(privateKey, StandardCharsets.US_ASCII);
             PEMParser parser = new PEMParser(reader)) {
            Object object = parser.readObject();
            JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
            if (object instanceof PEMKeyPair pair) {
                key = converter.getKeyPair(pair).getPrivate();
            } else if (object instanceof PrivateKeyInfo info) {
                key = converter.getPrivateKey(info);
            } else {
                throw new GeneralSecurityException("no private key in " + privateKey);
            }
        }
        KeyStore store = KeyStore.getInstance("PKCS12");
        store.load(null, null);
        store.setKeyEntry("postroom", key, password, chain);
        return store;
    }
}
