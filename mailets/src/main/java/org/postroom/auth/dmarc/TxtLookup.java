package org.postroom.auth.dmarc;

import java.util.List;

/** DNS TXT lookups for DMARC: an empty list for a name with no TXT record (NXDOMAIN or NODATA). */
@FunctionalInterface
public interface TxtLookup {
    List<String> txt(String name) throws TemporaryDnsFailure;

    /** The DNS could not answer (timeout, SERVFAIL): the caller must defer, never pass or drop. */
    final class TemporaryDnsFailure extends Exception {
        public TemporaryDnsFailure(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
