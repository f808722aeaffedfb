import { Body, Controller, Get, Header, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiOperation } from '@nestjs/swagger';
import { RequestValidationError } from '@authmesh/platform';
import { Scopes } from '@authmesh/token-verifier';
import { CreateApiKeyDto, ListApiKeysQuery, RotateApiKeyDto } from './api-keys.dto.js';
import { type ApiKeyView, ApiKeysService, type CreatedApiKey } from './api-keys.service.js';

/** Admin API for API keys (scope auth:admin): any user's or client's keys. */
@Scopes('auth:admin')
@Controller('admin/api-keys')
export class ApiKeysAdminController {
  constructor(private readonly keys: ApiKeysService) {}

  @Post()
  @ApiOperation({ summary: 'Create an API key for a user or a client; the answer holds the key, once' })
  // The body carries a secret: no cache may keep it.
  @Header('cache-control', 'no-store')
  async create(@Body() body: CreateApiKeyDto): Promise<CreatedApiKey> {
    const { ownerType, ownerId, expiresAt, ...spec } = body;
    return this.keys.create({ type: ownerType, id: ownerId }, { ...spec, ...(expiresAt ? { expiresAt: new Date(expiresAt) } : {}) });
  }

  @Get()
  @ApiOperation({ summary: 'API keys (of one owner with ownerType and ownerId), newest first; never a key' })
  async list(@Query() query: ListApiKeysQuery): Promise<{ apiKeys: ApiKeyView[] }> {
    if ((query.ownerType === undefined) !== (query.ownerId === undefined))
      throw new RequestValidationError([
        { field: query.ownerType === undefined ? 'ownerType' : 'ownerId', problems: ['ownerType and ownerId go together'] },
      ]);
    const owner = query.ownerType && query.ownerId ? { type: query.ownerType, id: query.ownerId } : undefined;
    return { apiKeys: await this.keys.list(owner) };
  }

  @Post(':id/revoke')
  @HttpCode(200)
  @ApiOperation({ summary: 'Revoke an API key and every token issued for it' })
  async revoke(@Param('id') id: string): Promise<ApiKeyView> {
    return this.keys.revoke(id);
  }

  @Post(':id/rotate')
  @HttpCode(200)
  @Header('cache-control', 'no-store')
  @ApiOperation({ summary: 'A new key with the same rights; the old one works for graceSeconds more' })
  async rotate(@Param('id') id: string, @Body() body: RotateApiKeyDto): Promise<CreatedApiKey> {
    return this.keys.rotate(id, body.graceSeconds ?? 0);
  }
}
