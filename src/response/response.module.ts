import { Module } from '@nestjs/common';
import { IncidentsModule } from '#src/response/incidents/incidents.module.js';

/**
 * The response context (docs/units-and-incidents.md): the units with botnet connections and
 * their cases, the published list, and incident reports to the response team. It sits above
 * obligations: it provides obligations' `SightingsObserver` and messaging's `MailIntakeTarget`.
 */
@Module({ imports: [IncidentsModule] })
export class ResponseModule {}
