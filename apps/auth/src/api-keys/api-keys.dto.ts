import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  ArrayNotEmpty,
  ArrayUnique,
  IsArray,
  IsIn,
  IsInt,
  IsISO8601,
  IsOptional,
  IsString,
  Length,
  Matches,
  Max,
  Min,
} from 'class-validator';
import { AUDIENCE_PATTERN, SCOPE_TOKEN_PATTERN } from '@authmesh/contracts';
import { MAX_ALLOWED_CIDRS } from './address-allow-list.js';

/** `POST /auth/api-keys`: a key of the calling user (owner fields are refused: unknown fields are a 400). */
export class CreateOwnApiKeyDto {
  @ApiProperty({ description: 'What the key is for (shown in lists).', minLength: 1, maxLength: 100 })
  @IsString()
  @Length(1, 100)
  name!: string;

  @ApiProperty({ type: 'array', items: { type: 'string' }, minItems: 1, maxItems: 50, description: "No wider than the owner's." })
  @IsArray()
  @ArrayNotEmpty({ message: 'scopes must name at least one scope' })
  @ArrayMaxSize(50)
  @ArrayUnique()
  @IsString({ each: true })
  @Matches(SCOPE_TOKEN_PATTERN, { each: true, message: 'each scope must be a scope token (RFC 6749 §3.3)' })
  scopes!: string[];

  @ApiProperty({
    type: 'array',
    items: { type: 'string' },
    minItems: 1,
    maxItems: 20,
    description: "Services the key reaches; no wider than the owner's, never `auth`.",
  })
  @IsArray()
  @ArrayNotEmpty({ message: 'audiences must name at least one audience' })
  @ArrayMaxSize(20)
  @ArrayUnique()
  @IsString({ each: true })
  @Matches(AUDIENCE_PATTERN, { each: true, message: 'each audience must be 1-256 visible ASCII characters, no space' })
  audiences!: string[];

  @ApiPropertyOptional({ type: 'string', format: 'date-time', description: 'When the key stops working (default: never).' })
  @IsOptional()
  @IsISO8601({ strict: true }, { message: 'expiresAt must be an RFC 3339 date-time' })
  expiresAt?: string;

  @ApiPropertyOptional({
    type: 'array',
    items: { type: 'string' },
    maxItems: MAX_ALLOWED_CIDRS,
    description: 'Source addresses or CIDR blocks the key may be used from (default: any).',
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(MAX_ALLOWED_CIDRS)
  @IsString({ each: true })
  allowedCidrs?: string[];
}

/** `POST /admin/api-keys`: a key of any user or client. */
export class CreateApiKeyDto extends CreateOwnApiKeyDto {
  @ApiProperty({ enum: ['user', 'client'] })
  @IsIn(['user', 'client'], { message: 'ownerType must be user or client' })
  ownerType!: 'user' | 'client';

  @ApiProperty({ description: 'The user id (uuid) or the client id.' })
  @IsString()
  @Length(1, 256)
  ownerId!: string;
}

/** `POST …/:id/rotate`. */
export class RotateApiKeyDto {
  @ApiPropertyOptional({
    description: 'How long the old key keeps working (default 0: revoked at once); at most AUTH_API_KEY_MAX_GRACE_S.',
    minimum: 0,
  })
  @IsOptional()
  @IsInt({ message: 'graceSeconds must be an integer' })
  @Min(0)
  @Max(30 * 86400)
  graceSeconds?: number;
}

/** `GET /admin/api-keys?ownerType=&ownerId=`. */
export class ListApiKeysQuery {
  @IsOptional()
  @IsIn(['user', 'client'], { message: 'ownerType must be user or client' })
  ownerType?: 'user' | 'client';

  @IsOptional()
  @IsString()
  @Length(1, 256)
  ownerId?: string;
}
