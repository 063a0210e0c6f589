import { Module } from '@nestjs/common';
import { CasesModule } from '#src/response/cases/cases.module.js';
import { IncidentsModule } from '#src/response/incidents/incidents.module.js';
import { UnitsModule } from '#src/response/units/units.module.js';

/**
 * The response context (docs/units-and-incidents.md): the units with botnet connections and
 * their cases, the published list, and incident reports to the response team. It sits above
 * obligations: it provides obligations' `SightingsObserver` and messaging's `MailIntakeTarget`.
 */
@Module({ imports: [UnitsModule, CasesModule, IncidentsModule] })
export class ResponseModule {}
