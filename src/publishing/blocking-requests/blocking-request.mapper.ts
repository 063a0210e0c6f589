import type { BlockingRequestEntity } from '#src/publishing/blocking-requests/blocking-request.entity.js';
import type {
  AssignmentSummaryRow,
  HistoryRow,
  ItemRow,
} from '#src/publishing/blocking-requests/blocking-requests.repository.js';
import type {
  AssignmentSummary,
  BlockingRequestResponse,
  RequestHistoryEntry,
  RequestItemResponse,
} from '#src/publishing/blocking-requests/dto/blocking-request.dto.js';
import { isOverdue } from '#src/obligations/assignments/assignment-status.js';
import { secondsBetween } from '#src/obligations/assignments/confirmation-values.js';
import type { TenantScope } from '#src/identity/tenancy/tenant-scope.js';

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

/** One assignment of a request, with its timings from publication, as of `now`. */
export function toAssignmentSummary(
  a: AssignmentSummaryRow,
  publishedAt: Date | null,
  now: Date,
): AssignmentSummary {
  return {
    id: a.id,
    organizationId: a.organization_id,
    status: a.status,
    deadlineAt: a.deadline_at.toISOString(),
    overdue: isOverdue(a.status, a.deadline_at, now),
    acknowledgedAt: a.acknowledged_at?.toISOString() ?? null,
    appliedAt: a.applied_at?.toISOString() ?? null,
    closedAt: a.closed_at?.toISOString() ?? null,
    secondsToAcknowledge: secondsBetween(publishedAt, a.acknowledged_at),
    secondsToApply: secondsBetween(publishedAt, a.applied_at),
    lastConfirmationStatus: a.confirmation_status,
    lastConfirmationMechanism: a.confirmation_mechanism,
    lastConfirmationReason: a.confirmation_reason,
    lastConfirmationReceiptId: a.confirmation_receipt_id,
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
