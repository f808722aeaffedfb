import { Module } from '@nestjs/common';
import { AddressBudgetGuard } from './address-budget.guard.js';
import { AddressRateLimitGuard } from './address-rate-limit.guard.js';
import { ClientAuthLimiter } from './client-auth-limiter.js';

/** The per-address request budget of auth's public routes, one instance for every feature module; client authentication's failure budgets. */
@Module({
  providers: [AddressRateLimitGuard, AddressBudgetGuard, ClientAuthLimiter],
  exports: [AddressRateLimitGuard, AddressBudgetGuard, ClientAuthLimiter],
})
export class RateLimitModule {}
