import {
  Body,
  Controller,
  Get,
  HttpCode,
  InternalServerErrorException,
  Module,
  Post,
  Query,
  Req,
} from '@nestjs/common';
import { Type } from 'class-transformer';
import { IsEmail, IsInt, IsString, Max, Min, MinLength, ValidateNested } from 'class-validator';
import { DataSource } from 'typeorm';
import { Roles } from '#src/identity/auth/access.decorators.js';
import { Public } from '#src/platform/http/access.js';
import type { Principal } from '#src/identity/auth/principal.js';

export class ProbeContact {
  @IsEmail()
  email!: string;
}

export class ProbeBody {
  @IsString()
  @MinLength(2)
  name!: string;

  @IsInt()
  @Min(0)
  @Max(100)
  confidence!: number;

  @ValidateNested({ each: true })
  @Type(() => ProbeContact)
  contacts!: ProbeContact[];
}

/** Routes that exist only in tests, to exercise what the platform does for every route. */
@Controller('__probe')
@Public()
class ProbeController {
  constructor(private readonly dataSource: DataSource) {}

  @Post('echo')
  @HttpCode(200)
  echo(@Body() body: ProbeBody): ProbeBody {
    return body;
  }

  @Get('boom')
  boom(): never {
    throw new Error('secret internal detail: password=hunter2');
  }

  @Get('http-500')
  http500(): never {
    throw new InternalServerErrorException('db password is hunter2');
  }

  @Get('bad-uuid')
  async badUuid(): Promise<unknown> {
    return this.dataSource.query('SELECT $1::uuid AS id', ['not-a-uuid']);
  }

  /** Any authenticated caller: answers who the token says they are. */
  @Get('whoami')
  @Roles('admin', 'analyst', 'approver', 'isp_operator', 'isp_client', 'auditor')
  whoami(@Req() request: { user?: Principal }): Principal | undefined {
    return request.user;
  }

  @Get('db')
  async db(): Promise<{ now: string }> {
    const rows = await this.dataSource.query<{ now: string }[]>('SELECT now()::text AS now');
    return { now: rows[0]?.now ?? '' };
  }

  @Get('slow')
  async slow(@Query('ms') ms?: string): Promise<{ done: true }> {
    await new Promise((resolve) => setTimeout(resolve, ms === undefined ? 700 : Number(ms)));
    return { done: true };
  }

  @Get('duplicate')
  async duplicate(): Promise<void> {
    // A real unique violation from the server (a temporary table leaves nothing behind).
    await this.dataSource.query(
      'CREATE TEMP TABLE IF NOT EXISTS probe_unique (v int PRIMARY KEY); INSERT INTO probe_unique VALUES (1), (1)',
    );
  }
}

@Module({ controllers: [ProbeController] })
export class ProbeModule {}
