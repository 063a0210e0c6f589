import { Module } from '@nestjs/common';
import { HealthController } from '#src/health/health.controller.js';
import { HealthService } from '#src/health/health.service.js';

@Module({ controllers: [HealthController], providers: [HealthService] })
export class HealthModule {}
