import { type Principal, CurrentPrincipal, Scopes } from '@authmesh/token-verifier';
import { schemaRef } from '@authmesh/platform';
import { Body, Controller, Get, Inject, Param, Put, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation } from '@nestjs/swagger';
import { ListProfilesQuery, type ProfileView, UpdateProfileDto, toProfileView } from './profiles.dto.js';
import { ProfilesService } from './profiles.service.js';
import { assertAllowedServiceCaller } from './service-callers.js';

export const PROFILES_SERVICE_CLIENTS = Symbol('PROFILES_SERVICE_CLIENTS');

@Controller('profiles')
export class ProfilesController {
  constructor(
    private readonly profiles: ProfilesService,
    @Inject(PROFILES_SERVICE_CLIENTS) private readonly serviceClients: ReadonlySet<string>,
  ) {}

  /** Admin listing, keyset-paginated: `{ items, nextCursor }`. */
  @Scopes('profiles:admin')
  @Get()
  @ApiOperation({ summary: 'Every profile, keyset-paginated (admin)' })
  @ApiOkResponse({ schema: schemaRef('ProfilePage') })
  async list(@Query() query: ListProfilesQuery): Promise<{ items: ProfileView[]; nextCursor: string | null }> {
    const page = await this.profiles.list(query.limit ?? 20, query.cursor);
    return { items: page.items.map(toProfileView), nextCursor: page.nextCursor };
  }

  @Scopes('profiles:read')
  @Get('me')
  @ApiOperation({ summary: "The caller's profile (created empty on first access)" })
  @ApiOkResponse({ schema: schemaRef('ProfileView') })
  async me(@CurrentPrincipal() principal: Principal): Promise<ProfileView> {
    return toProfileView(await this.profiles.getOrCreate(principal.sub));
  }

  @Scopes('profiles:write')
  @Put('me')
  @ApiOperation({ summary: "Replace the caller's profile" })
  @ApiOkResponse({ schema: schemaRef('ProfileView') })
  async replaceMe(@CurrentPrincipal() principal: Principal, @Body() body: UpdateProfileDto): Promise<ProfileView> {
    return toProfileView(await this.profiles.replace(principal.sub, body.displayName, body.shippingAddress ?? null));
  }

  /** Service-to-service: another user's profile, for allow-listed services only (never a user token). */
  @Scopes('profiles:read')
  @Get(':userId')
  @ApiOperation({ summary: "Any user's profile, for allow-listed services only (403 service_token_required for a user token)" })
  @ApiOkResponse({ schema: schemaRef('ProfileView') })
  async byUser(@CurrentPrincipal() principal: Principal, @Param('userId') userId: string): Promise<ProfileView> {
    assertAllowedServiceCaller(principal, this.serviceClients);
    return toProfileView(await this.profiles.get(userId));
  }
}
