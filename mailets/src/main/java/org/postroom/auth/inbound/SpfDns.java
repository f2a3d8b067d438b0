package org.postroom.auth.inbound;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

import org.apache.james.jspf.core.DNSRequest;
import org.apache.james.jspf.core.DNSService;
import org.apache.james.jspf.core.exceptions.TimeoutException;
import org.postroom.auth.dmarc.TxtLookup;

/**
 * jSPF's view of DNS, answered by Postroom's {@link AuthDns}: a temporary DNS failure becomes jSPF's
 * {@link TimeoutException}, which SPF reports as {@code temperror}; a missing record is {@code null}, as jSPF expects.
 */
final class SpfDns implements DNSService {
    private final AuthDns dns;
    private int recordLimit = 10;

    SpfDns(AuthDns dns) {
        this.dns = dns;
    }

    @Override
    public List<String> getRecords(DNSRequest request) throws TimeoutException {
        String name = request.getHostname();
        try {
            List<String> records = switch (request.getRecordType()) {
                case DNSRequest.A -> dns.ipv4(name);
                case DNSRequest.AAAA -> dns.ipv6(name);
                case DNSRequest.MX -> dns.mx(name);
                case DNSRequest.PTR -> dns.ptr(name);
                case DNSRequest.TXT, DNSRequest.SPF -> dns.txt(name);
                default -> List.of();
            };
            return records.isEmpty() ? null : records;
        } catch (TxtLookup.TemporaryDnsFailure e) {
            throw new TimeoutException(name + ": " + e.getMessage());
        }
    }

    @Override
    public CompletionStage<List<String>> getRecordsAsync(DNSRequest request) {
        try {
            return CompletableFuture.completedFuture(getRecords(request));
        } catch (TimeoutException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    @Override
    public List<String> getLocalDomainNames() {
        return List.of();
    }

    @Override
    public void setTimeOut(int seconds) {
        // The resolver behind AuthDns has its own timeout.
    }

    @Override
    public int getRecordLimit() {
        return recordLimit;
    }

    @Override
    public void setRecordLimit(int limit) {
        this.recordLimit = limit;
    }
}
