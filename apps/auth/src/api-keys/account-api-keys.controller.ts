import { Body, Controller, Get, Header, HttpCode, Param, Post, UseGuards } from '@nestjs/common';
import { ApiOperation } from '@nestjs/swagger';
import { CurrentPrincipal, type Principal } from '@authmesh/token-verifier';
import { AddressBudgetGuard } from '../rate-limit/address-budget.guard.js';
import { CreateOwnApiKeyDto, RotateApiKeyDto } from './api-keys.dto.js';
import { ApiKeysNeedUserError } from './api-keys.errors.js';
import { type ApiKeyOwner, type ApiKeyView, ApiKeysService, type CreatedApiKey } from './api-keys.service.js';

/**
 * The caller's own API keys (a user token for audience `auth`, like `/auth/sessions`). A token
 * exchanged for a key never gets here (its audience is a service, and auth refuses exchanged
 * tokens), so a leaked key can't mint or rotate keys.
 */
@UseGuards(AddressBudgetGuard)
@Controller('auth/api-keys')
export class AccountApiKeysController {
  constructor(private readonly keys: ApiKeysService) {}

  @Get()
  @ApiOperation({ summary: "The caller's API keys, newest first; never a key" })
  async list(@CurrentPrincipal() principal: Principal): Promise<{ apiKeys: ApiKeyView[] }> {
    return { apiKeys: await this.keys.list(ownerOf(principal)) };
  }

  @Post()
  @Header('cache-control', 'no-store')
  @ApiOperation({ summary: 'Create an API key of the caller; the answer holds the key, once' })
  async create(@CurrentPrincipal() principal: Principal, @Body() body: CreateOwnApiKeyDto): Promise<CreatedApiKey> {
    const { expiresAt, ...spec } = body;
    return this.keys.create(ownerOf(principal), { ...spec, ...(expiresAt ? { expiresAt: new Date(expiresAt) } : {}) });
  }

  @Post(':id/revoke')
  @HttpCode(200)
  @ApiOperation({ summary: "Revoke one of the caller's API keys and every token issued for it" })
  async revoke(@CurrentPrincipal() principal: Principal, @Param('id') id: string): Promise<ApiKeyView> {
    return this.keys.revoke(id, ownerOf(principal));
  }

  @Post(':id/rotate')
  @HttpCode(200)
  @Header('cache-control', 'no-store')
  @ApiOperation({ summary: "Rotate one of the caller's API keys; the old one works for graceSeconds more" })
  async rotate(@CurrentPrincipal() principal: Principal, @Param('id') id: string, @Body() body: RotateApiKeyDto): Promise<CreatedApiKey> {
    return this.keys.rotate(id, body.graceSeconds ?? 0, ownerOf(principal));
  }
}

function ownerOf(principal: Principal): ApiKeyOwner {
  if (principal.isService) throw new ApiKeysNeedUserError(principal.clientId);
  return { type: 'user', id: principal.sub };
}
