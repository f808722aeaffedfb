import { Body, Controller, HttpCode, NotFoundException, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import { IsInt, IsOptional, IsString, Matches, MaxLength, Min } from 'class-validator';
import { JTI_PATTERN } from '@authmesh/contracts';
import { RequestValidationError } from '@authmesh/platform';
import { Scopes } from '@authmesh/token-verifier';
import { SessionRevoker } from '../revocation/session-revoker.service.js';
import { UsersService } from '../users/users.service.js';

export class AdminRevocationDto {
  @IsOptional()
  @IsString()
  @Matches(JTI_PATTERN, { message: 'jti must be 1-128 URL-safe characters' })
  jti?: string;

  /** The token's `exp` (seconds since the epoch): the blocklist entry lives until then + tolerance. */
  @IsOptional()
  @IsInt()
  @Min(0)
  exp?: number;

  @IsOptional()
  @IsString()
  @MaxLength(255)
  sub?: string;
}

/** Admin API (scope auth:admin). */
@Scopes('auth:admin')
@Controller('admin')
export class AdminController {
  constructor(
    private readonly revoker: SessionRevoker,
    private readonly users: UsersService,
  ) {}

  /** `{ jti, exp }` blocklists one token; `{ sub }` revokes every token of a subject issued until now. */
  @Post('revocations')
  @HttpCode(200)
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

  /** Disables an account and ends all its sessions. */
  @Post('users/:id/disable')
  @HttpCode(200)
  async disableUser(@Param('id', new ParseUUIDPipe()) id: string): Promise<{ disabled: true }> {
    await this.revoker.changeAndRevokeSubject(id, 'account_disabled', async (tx) => {
      if (!(await this.users.setDisabled(id, true, tx))) throw new NotFoundException('No such user');
    });
    return { disabled: true };
  }
}
