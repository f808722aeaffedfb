import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { AddressRateLimitGuard } from './address-rate-limit.guard.js';

/**
 * The guard auth's public controllers name in `@UseGuards`. Nest builds one instance of a
 * `@UseGuards` class per module, and the accounts, sessions and oauth controllers live in
 * different modules: each would get its own AddressRateLimitGuard, and so its own in-memory
 * budget (without Redis, or as the insurance limiter during an outage) — three budgets per
 * address where there was one. This delegate is built per module but holds the one
 * AddressRateLimitGuard that RateLimitModule provides, so every public route spends one budget.
 */
@Injectable()
export class AddressBudgetGuard implements CanActivate {
  constructor(private readonly shared: AddressRateLimitGuard) {}

  canActivate(context: ExecutionContext): Promise<boolean> {
    return this.shared.canActivate(context);
  }
}
