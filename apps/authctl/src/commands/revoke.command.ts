import { Command, Option } from 'nest-commander';
import { AdminApiClient } from '../api/admin-api.client.js';
import { parseRevocation } from '../cli/arguments.js';
import { revocationLines } from '../output/format.js';
import { Output } from '../output/output.js';
import { AuthctlCommand, type JsonOption } from './authctl-command.js';

@Command({
  name: 'revoke',
  description: 'revoke one token (--jti <jti> --exp <unix-seconds>) or every token of a subject issued until now (--sub <sub>)',
})
export class RevokeCommand extends AuthctlCommand {
  constructor(
    private readonly api: AdminApiClient,
    private readonly out: Output,
  ) {
    super();
  }

  async run(_args: string[], options: JsonOption & { jti?: string; exp?: string; sub?: string }): Promise<void> {
    const revocation = parseRevocation(options);
    const result = await this.api.revoke(revocation);
    this.out.result(options.json === true, result, () => revocationLines(revocation));
  }

  @Option({ flags: '--jti <jti>', description: "the token's jti claim" })
  parseJti(value: string): string {
    return value;
  }

  @Option({ flags: '--exp <unix-seconds>', description: "the token's exp claim (seconds): the blocklist entry lives until then" })
  parseExp(value: string): string {
    return value;
  }

  @Option({ flags: '--sub <sub>', description: 'a subject (user id or client id): every token issued to it until now' })
  parseSub(value: string): string {
    return value;
  }
}
