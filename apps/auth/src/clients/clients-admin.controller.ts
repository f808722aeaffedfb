import { Body, Controller, Get, Header, HttpCode, Param, Post } from '@nestjs/common';
import { type FieldProblem, InjectConfig, RequestValidationError } from '@authmesh/platform';
import { Scopes } from '@authmesh/token-verifier';
import { schemaRef } from '@authmesh/platform';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiParam } from '@nestjs/swagger';
import { CLIENT_ID_PATTERN } from '@authmesh/contracts';
import type { ClientEntity } from './client.entity.js';
import { ClientsService } from './clients.service.js';
import type { AuthConfig } from '../config/auth.config.js';
import { randomToken } from '../crypto/secrets.js';
import { SessionRevoker } from '../revocation/session-revoker.service.js';
import type { ClientView, CreatedClientView } from '@authmesh/contracts';
import {
  ClientIdParams,
  CreateClientDto,
  codeFlowProblems,
  reservedClientIdProblems,
  unknownCatalogueProblems,
} from './clients-admin.dto.js';
import { ClientExistsError, ClientNotFoundError } from './clients-admin.errors.js';
import { clientJwksProblems, normalizeClientJwks } from '../oauth/client-jwks.js';

/** What the admin API shows of a client: never the secret's hash. */
export function clientView(client: ClientEntity): ClientView {
  return {
    clientId: client.clientId,
    scopes: client.scopes,
    audiences: client.audiences,
    grantTypes: client.grantTypes,
    tokenEndpointAuthMethod: client.tokenEndpointAuthMethod,
    redirectUris: client.redirectUris,
    postLogoutRedirectUris: client.postLogoutRedirectUris,
    firstParty: client.firstParty,
    dpopBoundAccessTokens: client.dpopBoundAccessTokens,
    ...(client.jwks ? { jwks: client.jwks } : {}),
    enabled: client.enabled,
    createdAt: client.createdAt.toISOString(),
  };
}

/** Admin API for clients, confidential or public (scope auth:admin): create, list, disable. */
@Scopes('auth:admin')
@Controller('admin/clients')
export class ClientsAdminController {
  constructor(
    private readonly clients: ClientsService,
    private readonly revoker: SessionRevoker,
    @InjectConfig() private readonly config: AuthConfig,
  ) {}

  /**
   * Creates a client with a secret generated here (256 random bits) and answers it once: only its
   * HMAC (ClientSecretHasher) is stored, so a lost secret means a new client, never a lookup. The
   * body takes no secret: an operator can't pick a weak one here.
   */
  @Post()
  @ApiOperation({
    summary:
      'Create a client; the answer holds its secret, once (none with `jwks`, a private_key_jwt client, or tokenEndpointAuthMethod none, a public client)',
  })
  @ApiCreatedResponse({ schema: schemaRef('CreatedClientView') })
  // The body carries a secret: no cache may keep it (as RFC 6749 §5.1 asks of token responses).
  @Header('cache-control', 'no-store')
  async create(@Body() body: CreateClientDto): Promise<CreatedClientView> {
    const problems: FieldProblem[] = [];
    const reserved = reservedClientIdProblems(body.clientId, this.config.auth.userClientId);
    if (reserved.length) problems.push({ field: 'clientId', problems: reserved });
    problems.push(...unknownCatalogueProblems(body, this.config.auth));
    const jwksProblems = body.jwks === undefined ? [] : clientJwksProblems(body.jwks);
    if (jwksProblems.length) problems.push({ field: 'jwks', problems: jwksProblems });
    problems.push(...codeFlowProblems(body));
    if (problems.length) throw new RequestValidationError(problems);
    const { jwks, tokenEndpointAuthMethod, ...spec } = body;
    if (tokenEndpointAuthMethod === 'none') {
      // A public client: nothing to keep secret, nothing generated (RFC 6749 §2.1; PKCE is its proof).
      const created = await this.clients.create({ ...spec, public: true });
      if (!created) throw new ClientExistsError(body.clientId);
      return clientView(created);
    }
    if (jwks !== undefined) {
      // private_key_jwt: the client proves itself with its private key; auth holds no secret of it.
      const created = await this.clients.create({ ...spec, jwks: normalizeClientJwks(jwks) });
      if (!created) throw new ClientExistsError(body.clientId);
      return clientView(created);
    }
    const clientSecret = randomToken();
    const created = await this.clients.create({ ...spec, secret: clientSecret });
    if (!created) throw new ClientExistsError(body.clientId);
    return { ...clientView(created), clientSecret };
  }

  @Get()
  @ApiOperation({ summary: 'Every client (never a secret)' })
  @ApiOkResponse({ schema: { type: 'object', properties: { clients: { type: 'array', items: schemaRef('ClientView') } } } })
  async list(): Promise<{ clients: ClientView[] }> {
    return { clients: (await this.clients.list()).map(clientView) };
  }

  /**
   * Disables the client (the token endpoint refuses it from now on) and revokes its live tokens
   * (`sub` = its client id) and the tokens it obtained by token exchange (`sub` = a user), in one
   * transaction: it never commits disabled with its tokens valid.
   */
  @Post(':clientId/disable')
  @HttpCode(200)
  @ApiOperation({ summary: 'Disable a client and revoke its tokens and those it obtained by exchange' })
  @ApiParam({ name: 'clientId', schema: { type: 'string', pattern: CLIENT_ID_PATTERN.source } })
  @ApiOkResponse({ schema: { type: 'object', properties: { clientId: { type: 'string' }, enabled: { type: 'boolean', enum: [false] } } } })
  async disable(@Param() { clientId }: ClientIdParams): Promise<{ clientId: string; enabled: false }> {
    await this.revoker.changeAndRevokeSubject(clientId, 'client_disabled', async (tx) => {
      if (!(await this.clients.setEnabled(clientId, false, tx))) throw new ClientNotFoundError(clientId);
      await this.revoker.revokeExchangedByClientInTx(tx, clientId);
    });
    // After commit: every auth instance stops checking its credentials against a cached record.
    await this.clients.changed(clientId);
    return { clientId, enabled: false };
  }
}
