import { Module } from '@nestjs/common';
import { ImportsController } from '#src/publishing/imports/imports.controller.js';
import { ImportsRepository } from '#src/publishing/imports/imports.repository.js';
import { ImportsService } from '#src/publishing/imports/imports.service.js';

@Module({
  controllers: [ImportsController],
  providers: [ImportsRepository, ImportsService],
})
export class ImportsModule {}
