package dev.memorymodule.workers.vector;

import java.util.Objects;

/**
 * What a search is scoped to. The org is required; every other field narrows the search when set.
 */
public record TenantFilter(String orgId, String workspaceId, String userId, String agentId, String threadId) {

    public TenantFilter {
        Objects.requireNonNull(orgId, "a vector search is always scoped to an org");
    }

    public static TenantFilter org(String orgId) {
        return new TenantFilter(orgId, null, null, null, null);
    }
}
