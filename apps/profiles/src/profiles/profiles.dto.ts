import { PageQuery } from '@authmesh/platform';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import { IsISO31661Alpha2, IsNotEmpty, IsObject, IsOptional, IsString, Matches, MaxLength, ValidateNested } from 'class-validator';
import type { ProfileEntity, ShippingAddress } from './profile.entity.js';

const trim = ({ value }: { value: unknown }): unknown => (typeof value === 'string' ? value.trim() : value);
const upper = ({ value }: { value: unknown }): unknown => (typeof value === 'string' ? value.trim().toUpperCase() : value);
/** A postal code: one rule for validation and for the OpenAPI document. */
const POSTAL_CODE_PATTERN = /^[A-Za-z0-9][A-Za-z0-9 -]{0,14}[A-Za-z0-9]$/;

export class ShippingAddressDto implements ShippingAddress {
  @ApiProperty({ minLength: 1, maxLength: 200, description: 'Trimmed.' })
  @Transform(trim)
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  line1!: string;

  @ApiPropertyOptional({ maxLength: 200 })
  @IsOptional()
  @Transform(trim)
  @IsString()
  @MaxLength(200)
  line2?: string;

  @ApiProperty({ minLength: 1, maxLength: 100 })
  @Transform(trim)
  @IsString()
  @IsNotEmpty()
  @MaxLength(100)
  city!: string;

  @ApiProperty({ pattern: POSTAL_CODE_PATTERN.source, examples: ['69001'] })
  @Transform(trim)
  @IsString()
  @Matches(POSTAL_CODE_PATTERN, { message: 'postalCode must be 2-16 letters, digits, spaces or hyphens' })
  postalCode!: string;

  @ApiProperty({ description: 'ISO 3166-1 alpha-2 (case-insensitive, stored upper case).', examples: ['FR'] })
  @Transform(upper)
  @IsString()
  @IsISO31661Alpha2({ message: 'country must be an ISO 3166-1 alpha-2 code' })
  country!: string;
}

/** `PUT /profiles/me`: replaces the profile (an omitted or null address clears it). */
export class UpdateProfileDto {
  @ApiProperty({ minLength: 1, maxLength: 100, description: 'Trimmed.' })
  @Transform(trim)
  @IsString()
  @IsNotEmpty()
  @MaxLength(100)
  displayName!: string;

  @ApiPropertyOptional({ type: () => ShippingAddressDto, nullable: true, description: 'Omitted or null clears the address.' })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => ShippingAddressDto)
  shippingAddress?: ShippingAddressDto | null;
}

/** `GET /profiles?limit=&cursor=` (admin). */
export class ListProfilesQuery extends PageQuery {}

/** A profile as the API shows it. */
export interface ProfileView {
  userId: string;
  displayName: string | null;
  shippingAddress: ShippingAddress | null;
  createdAt: string;
  updatedAt: string;
}

export function toProfileView(p: ProfileEntity): ProfileView {
  return {
    userId: p.userId,
    displayName: p.displayName,
    shippingAddress: p.shippingAddress,
    createdAt: p.createdAt.toISOString(),
    updatedAt: p.updatedAt.toISOString(),
  };
}
