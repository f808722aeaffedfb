import { Module } from '@nestjs/common';
import { ClientSecretHasher } from './client-secret-hasher.js';
import { SecretHasher } from './secrets.js';

/**
 * Password hashing (argon2 under a concurrency cap: one queue for the whole app) and client-secret
 * hashing (HMAC under a key derived from AUTH_KEK; legacy argon2 rows go through the same queue).
 */
@Module({ providers: [SecretHasher, ClientSecretHasher], exports: [SecretHasher, ClientSecretHasher] })
export class CryptoModule {}
