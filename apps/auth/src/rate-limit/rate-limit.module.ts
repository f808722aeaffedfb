import { Module } from '@nestjs/common';
import { AddressBudgetGuard } from './address-budget.guard.js';
import { AddressRateLimitGuard } from './address-rate-limit.guard.js';

/** The per-address request budget of auth's public routes, one instance for every feature module. */
@Module({
  providers: [AddressRateLimitGuard, AddressBudgetGuard],
  exports: [AddressRateLimitGuard, AddressBudgetGuard],
})
export class RateLimitModule {}
