import { Module } from '@nestjs/common';
import { SecretHasher } from './secrets.js';

/** Password and client-secret hashing (argon2 under a concurrency cap): one queue for the whole app. */
@Module({ providers: [SecretHasher], exports: [SecretHasher] })
export class CryptoModule {}
