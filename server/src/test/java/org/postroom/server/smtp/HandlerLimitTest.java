package org.postroom.server.smtp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.apache.commons.configuration2.BaseHierarchicalConfiguration;
import org.apache.commons.configuration2.ex.ConfigurationException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class HandlerLimitTest {
    static BaseHierarchicalConfiguration config(String max) {
        BaseHierarchicalConfiguration config = new BaseHierarchicalConfiguration();
        if (max != null) {
            config.addProperty(HandlerLimit.KEY, max);
        }
        return config;
    }

    @Test
    void countsAndSizesAreRead() throws Exception {
        assertThat(HandlerLimit.count(config(" 1000 "), LimitRecipients.class)).isEqualTo(1000);
        assertThat(HandlerLimit.size(config("100K"), LimitHeaderSize.class)).isEqualTo(102400);
        assertThat(HandlerLimit.size(config("2m"), LimitHeaderSize.class)).isEqualTo(2L << 20);
        assertThat(HandlerLimit.size(config("1G"), LimitHeaderSize.class)).isEqualTo(1L << 30);
    }

    @ParameterizedTest
    @ValueSource(strings = {"0", "-1", "ten", "1000000000", "1.5"})
    void aBadCountStopsTheStartNamingTheHandler(String max) {
        assertThatThrownBy(() -> HandlerLimit.count(config(max), LimitRecipients.class))
            .isInstanceOf(ConfigurationException.class)
            .hasMessage("LimitRecipients: <max>" + max + "</max> must be a whole number from 1 to 999999999");
    }

    @ParameterizedTest
    @ValueSource(strings = {"0", "0K", "12T", "K", "-5"})
    void aBadSizeStopsTheStart(String max) {
        assertThatThrownBy(() -> HandlerLimit.size(config(max), LimitHeaderSize.class))
            .isInstanceOf(ConfigurationException.class).hasMessageStartingWith("LimitHeaderSize: <max>" + max + "</max>");
    }

    @Test
    void aMissingMaxStopsTheStart() {
        assertThatThrownBy(() -> HandlerLimit.count(config(null), LimitRecipients.class))
            .isInstanceOf(ConfigurationException.class).hasMessage("LimitRecipients needs a <max> in smtpserver.xml");
    }
}
