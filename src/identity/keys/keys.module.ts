import { Module } from '@nestjs/common';
import { JwksController, KeysController } from '#src/identity/keys/keys.controller.js';
import { KeysRepository } from '#src/identity/keys/keys.repository.js';
import { KeysService } from '#src/identity/keys/keys.service.js';

@Module({
  controllers: [KeysController, JwksController],
  providers: [KeysRepository, KeysService],
  exports: [KeysService],
})
export class KeysModule {}
