package org.postroom.server.dns;

import java.util.List;

import javax.inject.Inject;

import org.apache.james.jdkim.api.PublicKeyRecordRetriever;
import org.apache.james.jdkim.exceptions.PermFailException;
import org.apache.james.jdkim.exceptions.TempFailException;
import org.postroom.auth.dmarc.TxtLookup;

/**
 * DKIM public keys ({@code q=dns/txt}) through Postroom's resolver, for James's own DKIM mailets (its module would
 * otherwise give them jDKIM's retriever, which asks the system's resolvers on port 53).
 */
public class DkimKeyRetriever implements PublicKeyRecordRetriever {
    private final PostroomDnsService dns;

    @Inject
    public DkimKeyRetriever(PostroomDnsService dns) {
        this.dns = dns;
    }

    @Override
    public List<String> getRecords(CharSequence methodAndOptions, CharSequence selector, CharSequence token)
        throws TempFailException, PermFailException {
        if (!"dns/txt".equalsIgnoreCase(methodAndOptions.toString())) {
            throw new PermFailException("unsupported key query method " + methodAndOptions);
        }
        String name = selector + "._domainkey." + token;
        try {
            List<String> records = dns.txt(name);
            if (records.isEmpty()) {
                throw new PermFailException("no key published at " + name);
            }
            return records;
        } catch (TxtLookup.TemporaryDnsFailure e) {
            throw new TempFailException("DNS did not answer for " + name);
        }
    }
}
