import { Module } from '@nestjs/common';
import { ImportLoader } from '#src/publishing/imports/import-loader.js';
import { ImportsController } from '#src/publishing/imports/imports.controller.js';
import { ImportsRepository } from '#src/publishing/imports/imports.repository.js';
import { ImportsService } from '#src/publishing/imports/imports.service.js';

@Module({
  controllers: [ImportsController],
  providers: [ImportLoader, ImportsRepository, ImportsService],
})
export class ImportsModule {}
