package org.postroom.auth.inbound;

import java.util.List;

import org.postroom.auth.dmarc.TxtLookup;

/**
 * The DNS queries that SPF, DKIM and DMARC need, answered by one resolver. Every method returns an empty list for
 * a name that does not exist or has no record of that type, and throws {@link TxtLookup.TemporaryDnsFailure}
 * when the DNS could not answer (timeout, SERVFAIL): callers defer the message then, they never pass or drop it.
 */
public interface AuthDns extends TxtLookup {
    /** IPv4 (A) addresses, as dotted text. */
    List<String> ipv4(String name) throws TemporaryDnsFailure;

    /** IPv6 (AAAA) addresses, as text. */
    List<String> ipv6(String name) throws TemporaryDnsFailure;

    /** Mail exchanger host names (without the final dot), best preference first. */
    List<String> mx(String name) throws TemporaryDnsFailure;

    /** PTR targets (without the final dot) of a reverse name such as {@code 1.0.0.127.in-addr.arpa}. */
    List<String> ptr(String name) throws TemporaryDnsFailure;
}
