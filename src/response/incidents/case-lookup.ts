import type { EntityManager } from 'typeorm';

/**
 * Whether a unit's case exists (and whose it is), for linking an incident report to it. The
 * cases feature provides it; without a provider, linking answers 503.
 */
export abstract class CaseLookup {
  abstract exists(manager: EntityManager, caseId: string): Promise<{ unitId: string } | null>;
}
