import { Controller, HttpCode, NotFoundException, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiParam } from '@nestjs/swagger';
import { Scopes } from '@authmesh/token-verifier';
import { SessionRevoker } from '../revocation/session-revoker.service.js';
import { UsersService } from './users.service.js';

/** Admin API (scope auth:admin): `POST /admin/users/:id/disable`. */
@Scopes('auth:admin')
@Controller('admin')
export class UsersAdminController {
  constructor(
    private readonly revoker: SessionRevoker,
    private readonly users: UsersService,
  ) {}

  /** Disables an account and ends all its sessions. */
  @Post('users/:id/disable')
  @HttpCode(200)
  @ApiOperation({ summary: 'Disable an account and end all its sessions' })
  @ApiParam({ name: 'id', schema: { type: 'string', format: 'uuid' } })
  @ApiOkResponse({ schema: { type: 'object', properties: { disabled: { type: 'boolean', enum: [true] } } } })
  async disableUser(@Param('id', new ParseUUIDPipe()) id: string): Promise<{ disabled: true }> {
    await this.revoker.changeAndRevokeSubject(id, 'account_disabled', async (tx) => {
      if (!(await this.users.setDisabled(id, true, tx))) throw new NotFoundException('No such user');
    });
    return { disabled: true };
  }
}
