import type { BlockingRequestEntity } from '#src/publishing/blocking-requests/blocking-request.entity.js';
import type {
  HistoryRow,
  ItemRow,
} from '#src/publishing/blocking-requests/blocking-requests.repository.js';
import type {
  BlockingRequestResponse,
  RequestHistoryEntry,
  RequestItemResponse,
} from '#src/publishing/blocking-requests/dto/blocking-request.dto.js';
import type { TenantScope } from '#src/identity/index.js';

/**
 * The request as the caller may see it: an ISP learns neither which other ISPs it was addressed
 * to nor which Department staff handled it.
 */
export function toRequestResponse(
  r: BlockingRequestEntity,
  audience: TenantScope = {},
): BlockingRequestResponse {
  const isp = audience.organizationId;
  const staff = (id: string | null): string | null => (isp === undefined ? id : null);
  return {
    id: r.id,
    documentNumber: r.documentNumber,
    title: r.title,
    legalBasis: r.legalBasis,
    description: r.description,
    category: r.category,
    severity: r.severity,
    status: r.status,
    targetsAll: r.targetsAll,
    targetOrganizationIds: isp === undefined || r.targetsAll ? r.targetOrganizationIds : [isp],
    dnsAction: r.dnsAction,
    ipAction: r.ipAction,
    deadlineHours: r.deadlineHours,
    deadlineAt: r.deadlineAt?.toISOString() ?? null,
    issuedBy: r.issuedBy,
    createdBy: staff(r.createdBy),
    submittedBy: staff(r.submittedBy),
    approvedBy: staff(r.approvedBy),
    publishedAt: r.publishedAt?.toISOString() ?? null,
    withdrawnAt: r.withdrawnAt?.toISOString() ?? null,
    withdrawalReason: r.withdrawalReason,
    itemCount: r.itemCount,
    createdAt: r.createdAt.toISOString(),
    updatedAt: r.updatedAt.toISOString(),
    version: r.version,
  };
}

export function toHistoryEntry(h: HistoryRow): RequestHistoryEntry {
  return {
    from: h.from_status,
    to: h.to_status,
    actorId: h.actor_id,
    comment: h.comment,
    at: h.at.toISOString(),
  };
}

export function toRequestItem(r: ItemRow): RequestItemResponse {
  return {
    indicatorId: r.indicator_id,
    type: r.type,
    value: r.value,
    operation: r.operation,
    indicatorStatus: r.status,
    tlp: r.tlp,
  };
}
