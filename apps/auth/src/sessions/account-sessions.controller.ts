import { Controller, Get, HttpCode, Param, Post, UseGuards } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiParam } from '@nestjs/swagger';
import type { SchemaObject } from '@nestjs/swagger';
import { CurrentPrincipal, type Principal } from '@authmesh/token-verifier';
import { AddressBudgetGuard } from '../rate-limit/address-budget.guard.js';
import { type AccountSession, AccountSessionsService } from './account-sessions.service.js';

/** OpenAPI of GET /auth/sessions, kept next to the handler that answers it. */
export const ACCOUNT_SESSIONS_SCHEMA: SchemaObject = {
  type: 'object',
  required: ['sessions'],
  properties: {
    sessions: {
      type: 'array',
      description: "The caller's live refresh families (one per login on a device or app), most recently used first.",
      items: {
        type: 'object',
        required: ['id', 'clientId', 'createdAt', 'lastUsedAt', 'current'],
        properties: {
          id: { type: 'string', format: 'uuid' },
          clientId: { type: 'string', description: 'The client the user signed in to.' },
          createdAt: { type: 'string', format: 'date-time' },
          lastUsedAt: { type: 'string', format: 'date-time', description: 'The latest token issued in the family.' },
          current: { type: 'boolean', description: 'The family the presented access token was issued in.' },
        },
      },
    },
  },
};

/** The account API: what the account page shows of the caller's sessions (user token, audience `auth`). */
@UseGuards(AddressBudgetGuard)
@Controller('auth/sessions')
export class AccountSessionsController {
  constructor(private readonly sessions: AccountSessionsService) {}

  @Get()
  @ApiOperation({ summary: "The caller's active sessions (refresh families): client, created, last used, current" })
  @ApiOkResponse({ schema: ACCOUNT_SESSIONS_SCHEMA })
  async list(@CurrentPrincipal() principal: Principal): Promise<{ sessions: AccountSession[] }> {
    return { sessions: await this.sessions.list(principal) };
  }

  @Post(':id/revoke')
  @HttpCode(200)
  @ApiOperation({
    summary: "Sign out one of the caller's sessions: its refresh tokens die and its access tokens are blocklisted at once",
  })
  @ApiParam({ name: 'id', schema: { type: 'string', format: 'uuid' } })
  @ApiOkResponse({ schema: { type: 'object', properties: { revoked: { type: 'boolean', enum: [true] } } } })
  async revoke(@CurrentPrincipal() principal: Principal, @Param('id') id: string): Promise<{ revoked: true }> {
    await this.sessions.revoke(principal, id);
    return { revoked: true };
  }
}
