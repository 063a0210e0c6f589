import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsEmail, IsOptional, IsString, Matches, MaxLength, ValidateIf } from 'class-validator';

/**
 * A telephone number: international (+84 …, E.164 up to 15 digits) or Vietnamese national
 * (0…, 1800/1900 numbers), digits grouped by spaces, dots or dashes (one at a time), the area
 * code optionally in parentheses.
 */
export const PHONE_PATTERN = /^(?:\+[1-9]\d{0,2}|\(?0\d{1,4}\)?|1[89]00)(?:[ .-]?\d{1,6}){1,5}$/;

export class ResponseTeamContacts {
  @ApiProperty({ example: 'Sở Khoa học và Công nghệ' })
  name!: string;

  @ApiProperty({ type: String, nullable: true, example: '+84 237 3852 000' })
  phone!: string | null;

  @ApiProperty({ type: String, nullable: true, example: '1900 1234' })
  hotline!: string | null;

  @ApiProperty({ type: String, nullable: true, example: 'csirt@department.example' })
  email!: string | null;

  @ApiPropertyOptional({
    example: 'incidents@department.example',
    description: 'Where incident reports may be mailed (MAIL_INTAKE_ADDRESS)',
  })
  incidentMailbox?: string;
}

/** Only the fields sent change; `null` removes one. */
export class UpdateResponseTeamRequest {
  @ApiPropertyOptional({ type: String, nullable: true, example: '+84 237 3852 000', maxLength: 40 })
  @ValidateIf((_o: object, v: unknown) => v !== undefined && v !== null)
  @IsString()
  @MaxLength(40)
  @Matches(PHONE_PATTERN, {
    message: 'phone must be a telephone number (+84 237 3852 000, 0237.3852.000)',
  })
  phone?: string | null;

  @ApiPropertyOptional({ type: String, nullable: true, example: '1900 1234', maxLength: 40 })
  @ValidateIf((_o: object, v: unknown) => v !== undefined && v !== null)
  @IsString()
  @MaxLength(40)
  @Matches(PHONE_PATTERN, {
    message: 'hotline must be a telephone number (1900 1234, +84 912 345 678)',
  })
  hotline?: string | null;

  @ApiPropertyOptional({
    type: String,
    nullable: true,
    example: 'csirt@department.example',
    maxLength: 254,
  })
  @IsOptional()
  @IsString()
  @MaxLength(254)
  @IsEmail({}, { message: 'email must be an e-mail address' })
  email?: string | null;
}
