import { Module } from '@nestjs/common';
import { HealthController } from '#src/platform/health/health.controller.js';
import { HealthService } from '#src/platform/health/health.service.js';

@Module({ controllers: [HealthController], providers: [HealthService] })
export class HealthModule {}
