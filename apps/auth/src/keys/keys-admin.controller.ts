import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { IsBoolean, IsNotEmpty, IsOptional, IsString, MaxLength } from 'class-validator';
import type { KeyEventView, KeyView } from '@authmesh/contracts';
import { schemaRef } from '@authmesh/platform';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { CurrentPrincipal, type Principal, Scopes } from '@authmesh/token-verifier';
import { KeyLifecycle } from './key-lifecycle.service.js';
import type { SigningKeyEventEntity } from './signing-key-event.entity.js';
import type { SigningKeyEntity } from './signing-key.entity.js';

export class RotateKeyDto {
  /** Promote at once instead of after the publish delay. */
  @ApiPropertyOptional({ description: 'Promote at once instead of after the publish delay.' })
  @IsOptional()
  @IsBoolean()
  now?: boolean;

  @ApiPropertyOptional({ maxLength: 500 })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  reason?: string;
}

export class RevokeKeyDto {
  /** Required: an emergency revocation without a recorded reason is not auditable. */
  @ApiProperty({ minLength: 1, maxLength: 500, description: 'Recorded in the audit trail.' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(500)
  reason!: string;
}

export class KeyEventsQuery {
  @ApiPropertyOptional({ maxLength: 200, description: "Only this key's events." })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  kid?: string;
}

const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);

function keyView(k: SigningKeyEntity): KeyView {
  return {
    kid: k.kid,
    state: k.state,
    alg: k.alg,
    bits: k.bits,
    createdAt: k.createdAt.toISOString(),
    activatesAt: iso(k.activatesAt),
    activatedAt: iso(k.activatedAt),
    retiringAt: iso(k.retiringAt),
    retireAfter: iso(k.retireAfter),
    retiredAt: iso(k.retiredAt),
    revokedAt: iso(k.revokedAt),
  };
}

function eventView(e: SigningKeyEventEntity): KeyEventView {
  return {
    id: String(e.id),
    kid: e.kid,
    fromState: e.fromState,
    toState: e.toState,
    actor: e.actor,
    reason: e.reason,
    at: e.at.toISOString(),
  };
}

/** Who the audit trail names for an admin call. */
function actorOf(principal: Principal): string {
  return principal.isService ? `client:${principal.clientId}` : `user:${principal.sub}`;
}

/** Key lifecycle admin API (scope auth:admin): what `authctl keys …` calls. */
@Scopes('auth:admin')
@Controller('admin/keys')
export class KeysAdminController {
  constructor(private readonly lifecycle: KeyLifecycle) {}

  @Get()
  @ApiOperation({ summary: 'Every signing key and its state (no key material)' })
  @ApiOkResponse({ schema: { type: 'object', properties: { keys: { type: 'array', items: schemaRef('KeyView') } } } })
  async list(): Promise<{ keys: KeyView[] }> {
    return { keys: (await this.lifecycle.list()).map(keyView) };
  }

  @Get('events')
  @ApiOperation({ summary: "The key lifecycle's audit trail" })
  @ApiOkResponse({ schema: { type: 'object', properties: { events: { type: 'array', items: schemaRef('KeyEventView') } } } })
  async events(@Query() query: KeyEventsQuery): Promise<{ events: KeyEventView[] }> {
    return { events: (await this.lifecycle.events(query.kid)).map(eventView) };
  }

  @Post('rotate')
  @ApiOperation({ summary: 'Create the next key (pending until the publish delay, or active at once with now)' })
  @ApiCreatedResponse({
    schema: { type: 'object', properties: { key: schemaRef('KeyView'), previous: { anyOf: [schemaRef('KeyView'), { type: 'null' }] } } },
  })
  async rotate(@Body() body: RotateKeyDto, @CurrentPrincipal() principal: Principal): Promise<{ key: KeyView; previous: KeyView | null }> {
    const now = body.now === true;
    const { key, previous } = await this.lifecycle.rotate({
      now,
      actor: actorOf(principal),
      reason: body.reason ?? (now ? 'immediate rotation' : 'planned rotation'),
    });
    return { key: keyView(key), previous: previous ? keyView(previous) : null };
  }

  @Post(':kid/revoke')
  @HttpCode(200)
  @ApiOperation({ summary: 'Emergency revocation of a key (tokens it signed stop verifying)' })
  @ApiOkResponse({ schema: { type: 'object', properties: { revoked: schemaRef('KeyView'), active: schemaRef('KeyView') } } })
  async revoke(
    @Param('kid') kid: string,
    @Body() body: RevokeKeyDto,
    @CurrentPrincipal() principal: Principal,
  ): Promise<{ revoked: KeyView; active: KeyView }> {
    const { revoked, active } = await this.lifecycle.revokeKey(kid, { actor: actorOf(principal), reason: body.reason });
    return { revoked: keyView(revoked), active: keyView(active) };
  }
}
