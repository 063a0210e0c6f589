import { Module } from '@nestjs/common';
import { ImportsController } from '#src/imports/imports.controller.js';
import { ImportsRepository } from '#src/imports/imports.repository.js';
import { ImportsService } from '#src/imports/imports.service.js';

@Module({
  controllers: [ImportsController],
  providers: [ImportsRepository, ImportsService],
})
export class ImportsModule {}
