import { Transform } from 'class-transformer';
import { ApiProperty } from '@nestjs/swagger';
import { IsEmail, IsString, Matches, MaxLength, MinLength } from 'class-validator';

const trim = ({ value }: { value: unknown }): unknown => (typeof value === 'string' ? value.trim() : value);

export class RegisterDto {
  @ApiProperty({ format: 'email', maxLength: 254, description: 'Trimmed.' })
  @Transform(trim)
  @IsEmail({}, { message: 'email must be an email address' })
  @MaxLength(254)
  email!: string;

  @ApiProperty({ minLength: 12, maxLength: 256, format: 'password' })
  @IsString()
  @MinLength(12, { message: 'password must be at least 12 characters' })
  @MaxLength(256)
  password!: string;
}

export class LoginDto {
  @ApiProperty({ maxLength: 254 })
  @Transform(trim)
  @IsString()
  @MaxLength(254)
  email!: string;

  @ApiProperty({ maxLength: 256, format: 'password' })
  @IsString()
  @MaxLength(256)
  password!: string;
}

/** A one-time token from an account message: 256 bits, base64url (43 characters). */
const MESSAGE_TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

/** `POST /auth/verify-email`: the token the account message delivered (256 bits, base64url). */
export class VerifyEmailDto {
  @ApiProperty({ pattern: MESSAGE_TOKEN_PATTERN.source, description: 'The token from the verification message.' })
  @IsString()
  @Matches(MESSAGE_TOKEN_PATTERN, { message: 'token must be the 43-character token from the verification message' })
  token!: string;
}

/** `POST /auth/unlock`: the token the unlock message delivered (256 bits, base64url). */
export class UnlockDto {
  @ApiProperty({ pattern: MESSAGE_TOKEN_PATTERN.source, description: 'The token from the unlock message.' })
  @IsString()
  @Matches(MESSAGE_TOKEN_PATTERN, { message: 'token must be the 43-character token from the unlock message' })
  token!: string;
}
