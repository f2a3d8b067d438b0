package org.postroom.server.smtp;

import java.lang.reflect.Proxy;
import java.net.InetAddress;
import java.util.Set;

import org.apache.james.core.Domain;
import org.apache.james.core.MailAddress;
import org.apache.james.core.MaybeSender;
import org.apache.james.dnsservice.api.DNSService;
import org.apache.james.domainlist.api.DomainList;
import org.apache.james.domainlist.api.DomainListException;

/** What the hook tests share: local domains, a DNS that only reads address literals, senders. */
final class Hooks {
    private Hooks() {
    }

    /** The domains given are local; any other is not; {@code broken.test} fails to answer. */
    static DomainList domains(String... local) {
        Set<String> names = Set.of(local);
        return (DomainList) Proxy.newProxyInstance(Hooks.class.getClassLoader(), new Class<?>[] {DomainList.class},
            (proxy, method, args) -> {
                if (method.getName().equals("containsDomain")) {
                    String name = ((Domain) args[0]).asString();
                    if (name.equals("broken.test")) {
                        throw new DomainListException("the domain list is unreachable");
                    }
                    return names.contains(name);
                }
                throw new UnsupportedOperationException(method.getName());
            });
    }

    /** James's DNS as NetMatcher uses it for address literals; looking up a name fails the test. */
    static DNSService literalDns() {
        return (DNSService) Proxy.newProxyInstance(Hooks.class.getClassLoader(), new Class<?>[] {DNSService.class},
            (proxy, method, args) -> {
                if (method.getName().equals("getByName") && ((String) args[0]).matches("[0-9.:a-fA-F]+")) {
                    return InetAddress.getByName((String) args[0]);
                }
                throw new UnsupportedOperationException(method.getName() + " " + java.util.Arrays.toString(args));
            });
    }

    static MaybeSender sender(String address) throws Exception {
        return address.isEmpty() ? MaybeSender.nullSender() : MaybeSender.of(new MailAddress(address));
    }
}
