import { Global, Module } from '@nestjs/common';
import { PeopleDirectory } from '#src/identity/directory/people-directory.js';

/** Addresses of organizations and people, for the contexts that send or receive mail. */
@Global()
@Module({ providers: [PeopleDirectory], exports: [PeopleDirectory] })
export class DirectoryModule {}
