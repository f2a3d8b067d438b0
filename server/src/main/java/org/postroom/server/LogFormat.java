package org.postroom.server;

import java.io.File;

import org.slf4j.ILoggerFactory;
import org.slf4j.LoggerFactory;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import ch.qos.logback.core.joran.spi.JoranException;

/**
 * Applies {@code postroom.log.format} ({@code text}, the default, or {@code json}): publishes it as the system
 * property {@code conf/logback.xml} chooses its appenders by, then configures logback again from that file, since
 * logback may have read it before the settings were loaded. {@code json} writes one JSON object per line
 * (logstash-logback-encoder) to {@code var/log/postroom.log} and the console, plus one line per mail event with
 * its fields ({@code org.postroom.server.metrics.EventLog}).
 */
final class LogFormat {
    static final String PROPERTY = "postroom.log.format";

    private LogFormat() {
    }

    static void apply(String format) {
        System.setProperty(PROPERTY, format);
        System.setProperty("postroom.log.events", "json".equals(format) ? "INFO" : "OFF");
        String file = System.getProperty("logback.configurationFile");
        ILoggerFactory factory = LoggerFactory.getILoggerFactory();
        if (file == null || !(factory instanceof LoggerContext context) || !new File(file).isFile()) {
            return;
        }
        context.reset();
        JoranConfigurator configurator = new JoranConfigurator();
        configurator.setContext(context);
        try {
            configurator.doConfigure(new File(file));
        } catch (JoranException e) {
            System.err.println("postroom-server: WARNING: cannot read " + file + ": " + e.getMessage());
        }
    }
}
