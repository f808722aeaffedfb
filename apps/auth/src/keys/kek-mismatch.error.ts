import { ConfigError } from '@authmesh/platform';

/** AUTH_KEK does not decrypt the signing keys in the database: stop, never mint a new key. */
export class KekMismatchError extends ConfigError {
  constructor(kid: string) {
    super('auth', [
      `AUTH_KEK: does not decrypt signing key ${kid} stored in the database (wrong key-encryption key?). Refusing to start rather than silently creating a new key.`,
    ]);
  }
}
