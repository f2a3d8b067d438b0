package org.postroom.server.admin;

import java.util.LinkedHashMap;
import java.util.Map;

import javax.inject.Inject;

import org.apache.james.core.Domain;
import org.apache.james.domainlist.api.DomainList;
import org.apache.james.webadmin.Routes;
import org.apache.james.webadmin.utils.JsonTransformer;
import org.eclipse.jetty.http.HttpStatus;
import org.postroom.server.auth.DkimKeyStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import spark.Request;
import spark.Response;
import spark.Service;

/**
 * DKIM keys of the local domains, for {@code postroom dkim}: {@code GET /postroom/dkim} lists every key with the
 * TXT record to publish; {@code POST /postroom/dkim/{domain}?selector=S} generates one and makes it active;
 * {@code POST /postroom/dkim/{domain}/rotate} does the same under a fresh dated selector.
 */
public class DkimRoutes implements Routes {
    public static final String BASE_PATH = "/postroom/dkim";
    private static final Logger LOGGER = LoggerFactory.getLogger(DkimRoutes.class);

    private final DkimKeyStore keys;
    private final DomainList domains;
    private final JsonTransformer json;

    @Inject
    public DkimRoutes(DkimKeyStore keys, DomainList domains, JsonTransformer json) {
        this.keys = keys;
        this.domains = domains;
        this.json = json;
    }

    @Override
    public String getBasePath() {
        return BASE_PATH;
    }

    @Override
    public void define(Service service) {
        service.get(BASE_PATH, (request, response) -> keys.list().stream().map(DkimRoutes::toJson).toList(), json);
        service.post(BASE_PATH + "/:domain/rotate", (request, response) -> {
            String domain = localDomain(request);
            DkimKeyStore.Algorithm algorithm = algorithm(request);
            response.status(HttpStatus.CREATED_201);
            return toJson(keys.rotate(domain, algorithm));
        }, json);
        service.post(BASE_PATH + "/:domain", this::generate, json);
    }

    private Object generate(Request request, Response response) throws Exception {
        String domain = localDomain(request);
        DkimKeyStore.Algorithm algorithm = algorithm(request);
        String selector = request.queryParams("selector");
        if (selector == null || selector.isBlank()) {
            response.status(HttpStatus.CREATED_201);
            return toJson(keys.rotate(domain, algorithm));
        }
        if (!selector.matches(DkimKeyStore.SELECTOR_PATTERN)) {
            throw ApiErrors.badRequest("'" + selector + "' is not a valid selector: lower-case letters, digits and '-', at most 63");
        }
        try {
            DkimKeyStore.KeyInfo key = keys.generate(domain, selector, algorithm);
            LOGGER.info("dkim {} key generated for {} with selector {}", algorithm.tag(), domain, selector);
            response.status(HttpStatus.CREATED_201);
            return toJson(key);
        } catch (IllegalStateException e) {
            throw ApiErrors.conflict(e.getMessage());
        }
    }

    /** {@code ?algorithm=rsa|ed25519}, rsa when absent. */
    private static DkimKeyStore.Algorithm algorithm(Request request) {
        String value = request.queryParams("algorithm");
        if (value == null || value.isBlank()) {
            return DkimKeyStore.Algorithm.RSA;
        }
        return DkimKeyStore.Algorithm.parse(value).orElseThrow(() -> ApiErrors.badRequest("'" + value + "' is not a DKIM algorithm: rsa or ed25519"));
    }

    private String localDomain(Request request) throws Exception {
        String name = request.params("domain").toLowerCase(java.util.Locale.ROOT);
        boolean local;
        try {
            local = domains.containsDomain(Domain.of(name));
        } catch (IllegalArgumentException e) {
            throw ApiErrors.badRequest("'" + name + "' is not a domain name");
        }
        if (!local) {
            throw ApiErrors.notFound("domain " + name + " is not a local domain");
        }
        return name;
    }


    private static Map<String, Object> toJson(DkimKeyStore.KeyInfo key) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("domain", key.domain());
        json.put("selector", key.selector());
        json.put("algorithm", key.algorithm());
        json.put("active", key.active());
        json.put("dnsName", key.dnsName());
        json.put("dnsRecord", key.dnsRecord());
        return json;
    }

}
