import { Command, Option, SubCommand } from 'nest-commander';
import { AdminApiClient } from '../api/admin-api.client.js';
import { parseReason } from '../cli/arguments.js';
import { UsageError } from '../cli/errors.js';
import { assertRevocable, checkKidPrefix, resolveKid } from '../keys/kid-prefix.js';
import { eventsTable, keysTable, revokeKeyLines, rotateLines } from '../output/format.js';
import { Output } from '../output/output.js';
import { AuthctlCommand, type JsonOption } from './authctl-command.js';

@SubCommand({ name: 'list', description: 'list signing keys, newest first: kid, state, created, activates, retires' })
export class KeysListCommand extends AuthctlCommand {
  constructor(
    private readonly api: AdminApiClient,
    private readonly out: Output,
  ) {
    super();
  }

  async run(_args: string[], options: JsonOption): Promise<void> {
    const list = await this.api.listKeys();
    this.out.result(options.json === true, list, () => keysTable(list.keys));
  }
}

@SubCommand({
  name: 'rotate',
  description: 'planned rotation: a new pending key, published now, signing after the publish delay (--now: at once)',
})
export class KeysRotateCommand extends AuthctlCommand {
  constructor(
    private readonly api: AdminApiClient,
    private readonly out: Output,
  ) {
    super();
  }

  async run(_args: string[], options: JsonOption & { now?: boolean; reason?: string }): Promise<void> {
    const reason = parseReason(options.reason, false);
    const result = await this.api.rotateKeys({ ...(options.now ? { now: true } : {}), ...(reason ? { reason } : {}) });
    this.out.result(options.json === true, result, () => rotateLines(result));
  }

  @Option({ flags: '--now', description: 'promote the new key at once (verifiers learn it through the unknown-kid refetch)' })
  parseNow(): boolean {
    return true;
  }

  @Option({ flags: '--reason <text>', description: 'why (kept in the key audit log)' })
  parseReasonText(value: string): string {
    return value;
  }
}

@SubCommand({
  name: 'revoke',
  arguments: '<kid>',
  argsDescription: { kid: `the key's kid, or a unique prefix of it (at least 8 characters)` },
  description: 'emergency: drop a key from the JWKS now, make a new key active, tell every verifier to forget it',
})
export class KeysRevokeCommand extends AuthctlCommand {
  constructor(
    private readonly api: AdminApiClient,
    private readonly out: Output,
  ) {
    super();
  }

  async run([prefix]: string[], options: JsonOption & { reason?: string }): Promise<void> {
    const kidPrefix = checkKidPrefix(prefix);
    const reason = parseReason(options.reason, true)!;
    // Resolve the prefix against what auth has now, and refuse a key that is already unpublished,
    // before the one call that changes anything.
    const key = resolveKid(kidPrefix, (await this.api.listKeys()).keys);
    assertRevocable(key);
    const result = await this.api.revokeKey(key.kid, reason);
    this.out.result(options.json === true, result, () => revokeKeyLines(result));
  }

  @Option({ flags: '--reason <text>', description: 'why (required; kept in the key audit log)' })
  parseReasonText(value: string): string {
    return value;
  }
}

@SubCommand({ name: 'events', description: 'the audit log of key transitions (who, when, why)' })
export class KeysEventsCommand extends AuthctlCommand {
  constructor(
    private readonly api: AdminApiClient,
    private readonly out: Output,
  ) {
    super();
  }

  async run(_args: string[], options: JsonOption & { kid?: string }): Promise<void> {
    const kid = options.kid === undefined ? undefined : checkKidPrefix(options.kid);
    // With a prefix: ask auth for each matching key's history (the unfiltered list is only the newest 200).
    const list =
      kid === undefined
        ? await this.api.keyEvents()
        : {
            events: (
              await Promise.all((await this.api.listKeys()).keys.filter((k) => k.kid.startsWith(kid)).map((k) => this.api.keyEvents(k.kid)))
            )
              .flatMap((l) => l.events)
              .sort((a, b) => b.at.localeCompare(a.at) || Number(b.id) - Number(a.id)),
          };
    this.out.result(options.json === true, list, () => eventsTable(list.events));
  }

  @Option({ flags: '--kid <kid>', description: 'only the events of keys whose kid starts with this (at least 8 characters)' })
  parseKid(value: string): string {
    return value;
  }
}

@Command({
  name: 'keys',
  description: 'signing keys: list, rotate, revoke, events',
  subCommands: [KeysListCommand, KeysRotateCommand, KeysRevokeCommand, KeysEventsCommand],
})
export class KeysCommand extends AuthctlCommand {
  protected override readonly strictArguments = false;

  async run(args: string[]): Promise<void> {
    throw new UsageError(
      args.length
        ? `unknown command "keys ${args[0]}"; use: keys list | rotate | revoke | events`
        : 'use: keys list | rotate | revoke | events',
    );
  }
}
