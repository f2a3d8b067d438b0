package org.postroom.server.imap;

import java.util.stream.Stream;

import javax.inject.Inject;

import org.apache.james.imap.decode.parser.AuthenticateCommandParser;
import org.apache.james.imap.decode.parser.LoginCommandParser;
import org.apache.james.modules.protocols.ImapPackage;
import org.apache.james.utils.ClassName;

import com.google.common.collect.ImmutableList;

/**
 * James's IMAP commands with Postroom's LOGIN and AUTHENTICATE processors, which pass every password through the
 * failed-login throttle. Named in {@code imapserver.xml}:
 * <pre>{@code
 * <imapPackages>org.postroom.server.imap.PostroomImapPackage</imapPackages>
 * }</pre>
 */
public class PostroomImapPackage extends ImapPackage.Impl {
    private static final ImapPackage JAMES = new ImapPackage.DefaultNoAuth();

    @Inject
    public PostroomImapPackage() {
        super(concat(JAMES.processors(), ThrottledAuthenticateProcessor.class, ThrottledLoginProcessor.class),
            concat(JAMES.decoders(), AuthenticateCommandParser.class, LoginCommandParser.class),
            ImmutableList.copyOf(JAMES.encoders()));
    }

    private static ImmutableList<ClassName> concat(java.util.Collection<ClassName> james, Class<?>... ours) {
        return Stream.concat(james.stream(), Stream.of(ours).map(type -> new ClassName(type.getName())))
            .collect(ImmutableList.toImmutableList());
    }
}
