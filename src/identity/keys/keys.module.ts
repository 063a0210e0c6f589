import { Module } from '@nestjs/common';
import { JwksController, KeysController } from '#src/keys/keys.controller.js';
import { KeysRepository } from '#src/keys/keys.repository.js';
import { KeysService } from '#src/keys/keys.service.js';

@Module({
  controllers: [KeysController, JwksController],
  providers: [KeysRepository, KeysService],
  exports: [KeysService],
})
export class KeysModule {}
