import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { CasesRepository } from '#src/response/cases/cases.repository.js';
import { CaseLookup } from '#src/response/incidents/case-lookup.js';

/** Incident reports link to cases through this (the cases feature owns `unit_cases`). */
@Injectable()
export class CaseLookupService extends CaseLookup {
  constructor(private readonly cases: CasesRepository) {
    super();
  }

  async exists(manager: EntityManager, caseId: string): Promise<{ unitId: string } | null> {
    const found = await this.cases.find(caseId, manager);
    return found ? { unitId: found.unitId } : null;
  }
}
