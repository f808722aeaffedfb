import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { IsInt, IsOptional, IsString, Matches, MaxLength, Min } from 'class-validator';
import { JTI_PATTERN } from '@authmesh/contracts';
import { ApiOkResponse, ApiOperation, ApiPropertyOptional } from '@nestjs/swagger';
import { RequestValidationError } from '@authmesh/platform';
import { Scopes } from '@authmesh/token-verifier';
import { SessionRevoker } from './session-revoker.service.js';

export class AdminRevocationDto {
  @ApiPropertyOptional({ pattern: JTI_PATTERN.source, description: 'With exp: blocklist one token.' })
  @IsOptional()
  @IsString()
  @Matches(JTI_PATTERN, { message: 'jti must be 1-128 URL-safe characters' })
  jti?: string;

  /** The token's `exp` (seconds since the epoch): the blocklist entry lives until then + tolerance. */
  @ApiPropertyOptional({ type: 'integer', minimum: 0, description: "The token's exp (seconds since the epoch), with jti." })
  @IsOptional()
  @IsInt()
  @Min(0)
  exp?: number;

  @ApiPropertyOptional({ maxLength: 255, description: 'Alone: revoke every token of this subject issued until now.' })
  @IsOptional()
  @IsString()
  @MaxLength(255)
  sub?: string;
}

/** Admin API (scope auth:admin): `POST /admin/revocations`. */
@Scopes('auth:admin')
@Controller('admin')
export class RevocationsAdminController {
  constructor(private readonly revoker: SessionRevoker) {}

  /** `{ jti, exp }` blocklists one token; `{ sub }` revokes every token of a subject issued until now. */
  @Post('revocations')
  @HttpCode(200)
  @ApiOperation({ summary: 'Revoke one token ({ jti, exp }) or every token of a subject ({ sub })' })
  @ApiOkResponse({ schema: { type: 'object', properties: { revoked: { type: 'string', enum: ['jti', 'sub'] } } } })
  async revoke(@Body() body: AdminRevocationDto): Promise<{ revoked: 'jti' | 'sub' }> {
    const byJti = body.jti !== undefined || body.exp !== undefined;
    if (byJti === (body.sub !== undefined) || (byJti && (body.jti === undefined || body.exp === undefined))) {
      throw new RequestValidationError([
        { field: body.sub !== undefined ? 'sub' : 'jti', problems: ['send either { jti, exp } or { sub }'] },
      ]);
    }
    if (byJti) {
      await this.revoker.revokeAccessToken(body.jti!, new Date(body.exp! * 1000));
      return { revoked: 'jti' };
    }
    await this.revoker.revokeSubject(body.sub!, 'admin');
    return { revoked: 'sub' };
  }
}
