import { Module } from '@nestjs/common';
import { SightingsController } from '#src/sightings/sightings.controller.js';
import { SightingsRepository } from '#src/sightings/sightings.repository.js';
import { SightingsService } from '#src/sightings/sightings.service.js';

@Module({
  controllers: [SightingsController],
  providers: [SightingsRepository, SightingsService],
})
export class SightingsModule {}
