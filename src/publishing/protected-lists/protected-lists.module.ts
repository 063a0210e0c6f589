import { Module } from '@nestjs/common';
import { ProtectedListsController } from '#src/publishing/protected-lists/protected-lists.controller.js';
import { ProtectedListsRepository } from '#src/publishing/protected-lists/protected-lists.repository.js';
import { ProtectedListsService } from '#src/publishing/protected-lists/protected-lists.service.js';

@Module({
  controllers: [ProtectedListsController],
  providers: [ProtectedListsRepository, ProtectedListsService],
  exports: [ProtectedListsService],
})
export class ProtectedListsModule {}
