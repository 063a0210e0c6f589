import { Module } from '@nestjs/common';
import { SightingsController } from '#src/obligations/sightings/sightings.controller.js';
import { SightingsRepository } from '#src/obligations/sightings/sightings.repository.js';
import { SightingsService } from '#src/obligations/sightings/sightings.service.js';

@Module({
  controllers: [SightingsController],
  providers: [SightingsRepository, SightingsService],
})
export class SightingsModule {}
