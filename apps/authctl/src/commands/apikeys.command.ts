import type { ApiKeyView, CreatedApiKeyView } from '@authmesh/contracts';
import { Command, Option, SubCommand } from 'nest-commander';
import { AdminApiClient } from '../api/admin-api.client.js';
import { collectWords } from '../cli/arguments.js';
import { UsageError } from '../cli/errors.js';
import { apiKeysTable, isoSeconds } from '../output/format.js';
import { Output } from '../output/output.js';
import { AuthctlCommand, type JsonOption } from './authctl-command.js';

interface OwnerOptions {
  user?: string;
  client?: string;
}

/** `--user <id>` or `--client <id>`: exactly one for create, at most one for list. */
function ownerOf(options: OwnerOptions, required: boolean): { type: 'user' | 'client'; id: string } | undefined {
  if (options.user !== undefined && options.client !== undefined) throw new UsageError('give --user or --client, not both');
  if (options.user !== undefined) return { type: 'user', id: options.user };
  if (options.client !== undefined) return { type: 'client', id: options.client };
  if (required) throw new UsageError('the key needs an owner: --user <user id> or --client <client id>');
  return undefined;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
function keyId(id: string | undefined): string {
  if (id === undefined || !UUID.test(id)) throw new UsageError('give the key id (a uuid, from `authctl apikeys list`)');
  return id;
}

/** The created key: the one time it is shown. */
function createdKeyLines(k: CreatedApiKeyView, what: string): string {
  return `${what} API key ${k.id} "${k.name}" for ${k.owner.type} ${k.owner.id} (audiences: ${k.audiences.join(' ')}; scopes: ${k.scopes.join(' ')}; expires: ${isoSeconds(k.expiresAt)}).\nAPI key (shown once, store it now): ${k.key}`;
}

@SubCommand({ name: 'create', arguments: '<name>', description: 'create an API key for a user or a client; the key is shown once' })
export class ApiKeysCreateCommand extends AuthctlCommand {
  constructor(
    private readonly api: AdminApiClient,
    private readonly out: Output,
  ) {
    super();
  }

  async run(
    [name]: string[],
    options: JsonOption & OwnerOptions & { scope?: string[]; audience?: string[]; expiresAt?: string; allowCidr?: string[] },
  ): Promise<void> {
    const owner = ownerOf(options, true)!;
    if (!options.scope?.length) throw new UsageError('give at least one --scope');
    if (!options.audience?.length) throw new UsageError('give at least one --audience');
    const created = await this.api.createApiKey({
      ownerType: owner.type,
      ownerId: owner.id,
      name: name!,
      scopes: options.scope,
      audiences: options.audience,
      ...(options.expiresAt ? { expiresAt: options.expiresAt } : {}),
      ...(options.allowCidr ? { allowedCidrs: options.allowCidr } : {}),
    });
    this.out.result(options.json === true, created, () => createdKeyLines(created, 'Created'));
  }

  @Option({ flags: '--user <userId>', description: 'the owning user (its id)' })
  parseUser(value: string): string {
    return value;
  }

  @Option({ flags: '--client <clientId>', description: 'the owning client' })
  parseClient(value: string): string {
    return value;
  }

  @Option({ flags: '--scope <scope...>', description: "scopes of the key, within the owner's (repeatable)" })
  parseScope(value: string, previous?: string[]): string[] {
    return collectWords(value, previous);
  }

  @Option({ flags: '--audience <audience...>', description: 'services the key reaches (repeatable; never auth)' })
  parseAudience(value: string, previous?: string[]): string[] {
    return collectWords(value, previous);
  }

  @Option({ flags: '--expires-at <datetime>', description: 'RFC 3339 date-time after which the key stops working' })
  parseExpiresAt(value: string): string {
    return value;
  }

  @Option({ flags: '--allow-cidr <cidr...>', description: 'source address or CIDR block the key may be used from (repeatable)' })
  parseAllowCidr(value: string, previous?: string[]): string[] {
    return collectWords(value, previous);
  }
}

@SubCommand({ name: 'list', description: 'list API keys (of one owner with --user or --client); never a key' })
export class ApiKeysListCommand extends AuthctlCommand {
  constructor(
    private readonly api: AdminApiClient,
    private readonly out: Output,
  ) {
    super();
  }

  async run(_args: string[], options: JsonOption & OwnerOptions): Promise<void> {
    const list = await this.api.listApiKeys(ownerOf(options, false));
    this.out.result(options.json === true, list, () => apiKeysTable(list.apiKeys));
  }

  @Option({ flags: '--user <userId>', description: 'only this user’s keys' })
  parseUser(value: string): string {
    return value;
  }

  @Option({ flags: '--client <clientId>', description: 'only this client’s keys' })
  parseClient(value: string): string {
    return value;
  }
}

@SubCommand({ name: 'revoke', arguments: '<id>', description: 'revoke an API key and every token issued for it' })
export class ApiKeysRevokeCommand extends AuthctlCommand {
  constructor(
    private readonly api: AdminApiClient,
    private readonly out: Output,
  ) {
    super();
  }

  async run([id]: string[], options: JsonOption): Promise<void> {
    const revoked: ApiKeyView = await this.api.revokeApiKey(keyId(id));
    this.out.result(
      options.json === true,
      revoked,
      () => `Revoked API key ${revoked.id} (${revoked.prefix}…): it and its tokens are refused now.`,
    );
  }
}

@SubCommand({
  name: 'rotate',
  arguments: '<id>',
  description: 'a new key with the same rights; the old one keeps working for --grace seconds',
})
export class ApiKeysRotateCommand extends AuthctlCommand {
  constructor(
    private readonly api: AdminApiClient,
    private readonly out: Output,
  ) {
    super();
  }

  async run([id]: string[], options: JsonOption & { grace?: string }): Promise<void> {
    const grace = options.grace === undefined ? 0 : Number(options.grace);
    if (!Number.isInteger(grace) || grace < 0) throw new UsageError('--grace takes a whole number of seconds');
    const created = await this.api.rotateApiKey(keyId(id), grace);
    this.out.result(
      options.json === true,
      created,
      () => `${createdKeyLines(created, 'Rotated into')}\nThe old key works for ${grace} s more.`,
    );
  }

  @Option({ flags: '--grace <seconds>', description: 'how long the old key keeps working (default 0: revoked now)' })
  parseGrace(value: string): string {
    return value;
  }
}

@Command({
  name: 'apikeys',
  description: 'API keys of users and clients: create, list, revoke, rotate',
  subCommands: [ApiKeysCreateCommand, ApiKeysListCommand, ApiKeysRevokeCommand, ApiKeysRotateCommand],
})
export class ApiKeysCommand extends AuthctlCommand {
  protected override readonly strictArguments = false;

  async run(args: string[]): Promise<void> {
    throw new UsageError(
      args.length
        ? `unknown command "apikeys ${args[0]}"; use: apikeys create | list | revoke | rotate`
        : 'use: apikeys create | list | revoke | rotate',
    );
  }
}
