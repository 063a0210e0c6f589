import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  IsEmail,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
  ValidateNested,
} from 'class-validator';
import { ORGANIZATION_KINDS, type OrganizationKind } from '#src/identity/auth/roles.js';
import type { OrganizationEntity } from '#src/identity/organizations/organization.entity.js';

export class ContactsDto {
  @ApiPropertyOptional({ example: '+84 237 3852 000' })
  @IsOptional()
  @IsString()
  @Matches(/^[+0-9 ().-]{3,40}$/, { message: 'phone must be a telephone number' })
  phone?: string;

  @ApiPropertyOptional({ example: '1900 1234', description: 'Incident-response hotline' })
  @IsOptional()
  @IsString()
  @Matches(/^[+0-9 ().-]{3,40}$/, { message: 'hotline must be a telephone number' })
  hotline?: string;

  @ApiPropertyOptional({ example: 'csirt@isp.example', description: 'Incident-report mailbox' })
  @IsOptional()
  @IsEmail()
  @MaxLength(254)
  email?: string;
}

export class CreateOrganizationRequest {
  @ApiProperty({ enum: ORGANIZATION_KINDS })
  @IsIn(ORGANIZATION_KINDS)
  kind!: OrganizationKind;

  @ApiProperty({ example: 'VNPT Thanh Hóa' })
  @IsString()
  @MinLength(2)
  @MaxLength(200)
  name!: string;

  @ApiProperty({ example: 'VNPT-TH', description: 'Unique; letters, digits and dashes' })
  @IsString()
  @Matches(/^[A-Za-z0-9][A-Za-z0-9-]{1,31}$/, {
    message: 'shortCode must be 2–32 letters, digits or dashes',
  })
  shortCode!: string;

  @ApiPropertyOptional({ type: ContactsDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => ContactsDto)
  contacts?: ContactsDto;
}

export class UpdateOrganizationRequest {
  @ApiProperty({ description: 'The version you read: a newer one on the server is a 409' })
  @IsInt()
  @Min(1)
  @Max(2147483647)
  version!: number;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MinLength(2)
  @MaxLength(200)
  name?: string;

  @ApiPropertyOptional({ type: ContactsDto, description: 'Replaces the contacts' })
  @IsOptional()
  @ValidateNested()
  @Type(() => ContactsDto)
  contacts?: ContactsDto;
}

export class OrganizationResponse {
  @ApiProperty({ format: 'uuid' })
  id!: string;
  @ApiProperty({ enum: ORGANIZATION_KINDS })
  kind!: OrganizationKind;
  @ApiProperty()
  name!: string;
  @ApiProperty()
  shortCode!: string;
  @ApiProperty({ type: ContactsDto })
  contacts!: ContactsDto;
  @ApiProperty({ format: 'date-time' })
  createdAt!: string;
  @ApiProperty({ format: 'date-time' })
  updatedAt!: string;
  @ApiProperty()
  version!: number;
}

export class OrganizationPage {
  @ApiProperty({ type: [OrganizationResponse] })
  items!: OrganizationResponse[];
  @ApiProperty({ type: String, nullable: true })
  nextCursor!: string | null;
}

export function toOrganizationResponse(o: OrganizationEntity): OrganizationResponse {
  return {
    id: o.id,
    kind: o.kind,
    name: o.name,
    shortCode: o.shortCode,
    contacts: o.contacts,
    createdAt: o.createdAt.toISOString(),
    updatedAt: o.updatedAt.toISOString(),
    version: o.version,
  };
}
