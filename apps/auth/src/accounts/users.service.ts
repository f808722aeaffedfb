import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { EntityManager, Repository } from 'typeorm';
import { AppError, RequestValidationError } from '@authmesh/platform';
import { SecretHasher } from '../crypto/secrets.js';
import { isCommonPassword } from './common-passwords.js';
import { LoginLimiter } from './login-limiter.js';
import { UserEntity } from './user.entity.js';

/** Wrong email, wrong password and disabled account all answer the same. */
export class InvalidCredentials extends AppError {
  static readonly code = 'invalid_credentials';
  readonly code = InvalidCredentials.code;
  readonly status = 401;
  constructor() {
    super('Invalid email or password');
  }
}

/** Emails are compared trimmed and lower-cased (NFKC), so `A@x.io ` and `a@x.io` are one account. */
export function normaliseEmail(email: string): string {
  return email.normalize('NFKC').trim().toLowerCase();
}

@Injectable()
export class UsersService {
  constructor(
    @InjectRepository(UserEntity) private readonly users: Repository<UserEntity>,
    private readonly hasher: SecretHasher,
    private readonly limiter: LoginLimiter,
  ) {}

  /**
   * Creates an account whose address counts as verified (the seeded admin: the operator vouches
   * for it); null when the e-mail is taken. Public registration is RegistrationService's.
   */
  async createVerified(email: string, password: string, extraScopes: string[] = []): Promise<UserEntity | null> {
    if (isCommonPassword(password)) throw new RequestValidationError([{ field: 'password', problems: ['password is too common'] }]);
    const user = this.users.create({
      email: normaliseEmail(email),
      passwordHash: await this.hasher.hash(password),
      extraScopes,
      disabled: false,
      emailVerifiedAt: new Date(),
    });
    try {
      return await this.users.save(user);
    } catch (e) {
      if ((e as { code?: string }).code === '23505') return null;
      throw e;
    }
  }

  /** Throws HashingBusyError (503) when a password check started now would be refused. */
  assertHashingCapacity(): void {
    this.hasher.assertCapacity();
  }

  /** Checks a password; the same work is done whether the account exists or not. */
  async authenticate(email: string, password: string): Promise<UserEntity> {
    const user = await this.users.findOne({ where: { email: normaliseEmail(email) } });
    const ok = await this.hasher.verify(user?.passwordHash, password);
    if (!ok || !user || user.disabled) throw new InvalidCredentials();
    return user;
  }

  /**
   * Checks the current password, then stores the new one (same rules as registration). The check
   * spends the same per-account and per-address failure budgets as login (`LoginLimiter`, keyed
   * on the account's email): a stolen access token must not turn this endpoint into a password
   * oracle that skips login's guessing limits.
   */
  async changePassword(id: string, currentPassword: string, newPassword: string, address: string, tx?: EntityManager): Promise<void> {
    const users = tx ? tx.getRepository(UserEntity) : this.users;
    const user = await users.findOne({ where: { id } });
    if (!user) throw new InvalidCredentials();
    this.hasher.assertCapacity();
    await this.limiter.takeAttempt(user.email, address);
    if (!(await this.hasher.verify(user.passwordHash, currentPassword))) throw new InvalidCredentials();
    await this.limiter.recordSuccess(user.email, address);
    if (isCommonPassword(newPassword))
      throw new RequestValidationError([{ field: 'newPassword', problems: ['newPassword is too common'] }]);
    await users.update({ id }, { passwordHash: await this.hasher.hash(newPassword) });
  }

  /** Returns false when there is no such user. */
  async setDisabled(id: string, disabled: boolean, tx?: EntityManager): Promise<boolean> {
    const result = await (tx ? tx.getRepository(UserEntity) : this.users).update({ id }, { disabled });
    return (result.affected ?? 0) > 0;
  }

  findByEmail(email: string): Promise<UserEntity | null> {
    return this.users.findOne({ where: { email: normaliseEmail(email) } });
  }
}
