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

/** A field of the order that the catalogue refuses: 400 naming it, in the same shape as a validation error. */
abstract class CatalogueRefusal extends AppError {
  readonly status = 400;
  constructor(field: string, problem: string) {
    super(`Invalid request: ${field}`, { details: { fields: [{ field, problems: [`${field} ${problem}`] }] } });
  }
}

/** An item names a SKU the catalogue does not hold. */
export class UnknownProduct extends CatalogueRefusal {
  static readonly code = 'unknown_product';
  readonly code = UnknownProduct.code;
  constructor(field: string, sku: string) {
    super(field, `is not in the catalogue: ${JSON.stringify(sku)}`);
  }
}

/** A client-stated unitPrice that is not the catalogue's (a stale cart, or a client choosing its price). */
export class PriceMismatch extends CatalogueRefusal {
  static readonly code = 'price_mismatch';
  readonly code = PriceMismatch.code;
  constructor(field: string, price: number) {
    super(field, `must be the catalogue price, ${price}, or be left out (prices come from the catalogue)`);
  }
}

/** The order's currency is not the one its items are priced in. */
export class CurrencyMismatch extends CatalogueRefusal {
  static readonly code = 'currency_mismatch';
  readonly code = CurrencyMismatch.code;
  constructor(currency: string) {
    super('currency', `must be ${currency}, the currency the items are priced in`);
  }
}
