import { AppError } from '@authmesh/platform';

export class OrderNotFound extends AppError {
  static readonly code = 'order_not_found';
  readonly code = OrderNotFound.code;
  readonly status = 404;
  constructor() {
    // Also for another user's order: a 403 would confirm that the id exists.
    super('Order not found');
  }
}

export class OrderNotCancellable extends AppError {
  static readonly code = 'order_not_cancellable';
  readonly code = OrderNotCancellable.code;
  readonly status = 409;
  constructor(status: string) {
    super(`Only a placed order can be cancelled; this one is ${status}`, { details: { status } });
  }
}

export class ShippingAddressRequired extends AppError {
  static readonly code = 'shipping_address_required';
  readonly code = ShippingAddressRequired.code;
  readonly status = 422;
  constructor() {
    super('Set a shipping address in your profile (PUT /profiles/me) before ordering');
  }
}

export class IdempotencyKeyReused extends AppError {
  static readonly code = 'idempotency_key_reused';
  readonly code = IdempotencyKeyReused.code;
  readonly status = 422;
  constructor() {
    super('This Idempotency-Key was already used with a different request body');
  }
}
