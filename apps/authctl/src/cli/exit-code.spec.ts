import { AuthUnavailableError, ConfigInvalidError, CredentialsRejectedError, ServerRefusedError, UsageError } from './errors.js';
import { outcomeOf } from './exit-code.js';

const commanderError = (code: string, exitCode: number): Error => Object.assign(new Error(code), { code, exitCode });

describe('exit codes', () => {
  it('0 on success and after --help', () => {
    expect(outcomeOf(undefined)).toEqual({ exitCode: 0 });
    expect(outcomeOf(commanderError('commander.helpDisplayed', 0))).toEqual({ exitCode: 0 });
  });

  it('2 for usage errors (commander has printed them already) and bad configuration', () => {
    expect(outcomeOf(commanderError('commander.unknownOption', 1))).toEqual({ exitCode: 2 });
    expect(outcomeOf(new UsageError('--reason is required'))).toEqual({ exitCode: 2, message: 'authctl: --reason is required' });
    expect(outcomeOf(new ConfigInvalidError(['AUTHCTL_CLIENT_SECRET: is required'])).exitCode).toBe(2);
  });

  it("1 when auth refuses the operation, printing auth's status, code and message", () => {
    expect(outcomeOf(new ServerRefusedError(409, 'key_not_revocable', 'Signing key k is retired'))).toEqual({
      exitCode: 1,
      message: 'authctl: auth refused: 409 key_not_revocable: Signing key k is retired',
    });
  });

  it("1 for a refused body, listing each field's problems (e.g. the known scopes)", () => {
    const body = {
      code: 'validation_failed',
      details: { fields: [{ field: 'scopes', problems: ['unknown scope "x"; known scopes: a b'] }] },
    };
    expect(outcomeOf(new ServerRefusedError(400, 'validation_failed', 'Invalid request: scopes', body))).toEqual({
      exitCode: 1,
      message: 'authctl: auth refused: 400 validation_failed: Invalid request: scopes\n  scopes: unknown scope "x"; known scopes: a b',
    });
  });

  it('3 when auth is unusable or refuses the CLI itself', () => {
    expect(outcomeOf(new AuthUnavailableError('unreachable')).exitCode).toBe(3);
    expect(outcomeOf(new CredentialsRejectedError('invalid_client')).exitCode).toBe(3);
  });

  it('70 for a bug in authctl, with its stack', () => {
    const outcome = outcomeOf(new TypeError('x is undefined'));
    expect(outcome.exitCode).toBe(70);
    expect(outcome.message).toContain('TypeError: x is undefined');
  });
});
