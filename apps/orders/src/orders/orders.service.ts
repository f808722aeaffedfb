import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { createHash, randomUUID } from 'node:crypto';
import { In, type Repository } from 'typeorm';
import { ProfilesClient } from '../profiles-client/profiles-client.js';
import { CatalogueItemEntity } from './catalogue-item.entity.js';
import { OrderEntity, type OrderItem } from './order.entity.js';
import { decodeOrderCursor, encodeOrderCursor, isUuid } from './order-cursor.js';
import {
  CurrencyMismatch,
  IdempotencyKeyReused,
  OrderNotCancellable,
  OrderNotFound,
  PriceMismatch,
  ShippingAddressRequired,
  UnknownProduct,
} from './order-errors.js';
import type { CreateOrderDto } from './orders.dto.js';

export interface CreatedOrder {
  order: OrderEntity;
  /** True when an Idempotency-Key matched an earlier create: nothing new was written. */
  replayed: boolean;
}

export interface OrderPage {
  items: OrderEntity[];
  nextCursor: string | null;
}

const UNIQUE_VIOLATION = '23505';

/** What makes two creates "the same request" for an Idempotency-Key: the normalised body. */
function requestHash(currency: string, items: readonly OrderItem[]): string {
  return createHash('sha256').update(JSON.stringify({ currency, items })).digest('base64url');
}

@Injectable()
export class OrdersService {
  constructor(
    @InjectRepository(OrderEntity) private readonly orders: Repository<OrderEntity>,
    @InjectRepository(CatalogueItemEntity) private readonly catalogue: Repository<CatalogueItemEntity>,
    private readonly profiles: ProfilesClient,
  ) {}

  /** The order's lines priced from the catalogue; 400 naming the field for an unknown SKU, a wrong stated price or currency. */
  private async price(dto: CreateOrderDto): Promise<OrderItem[]> {
    const skus = [...new Set(dto.items.map((i) => i.sku))];
    const products = new Map((await this.catalogue.findBy({ sku: In(skus) })).map((p) => [p.sku, p]));
    return dto.items.map((item, n) => {
      const product = products.get(item.sku);
      if (!product) throw new UnknownProduct(`items.${n}.sku`, item.sku);
      if (item.unitPrice !== undefined && item.unitPrice !== product.unitPrice)
        throw new PriceMismatch(`items.${n}.unitPrice`, product.unitPrice);
      if (product.currency !== dto.currency) throw new CurrencyMismatch(product.currency);
      return { sku: product.sku, quantity: item.quantity, unitPrice: product.unitPrice };
    });
  }

  /**
   * Places an order for `userId` with the shipping address profiles holds for them. The address is
   * fetched before anything is written, so a profiles outage (503) leaves no row behind.
   */
  async create(userId: string, dto: CreateOrderDto, idempotencyKey: string | undefined, requestId?: string): Promise<CreatedOrder> {
    const items = await this.price(dto);
    const hash = requestHash(dto.currency, items);
    if (idempotencyKey !== undefined) {
      const earlier = await this.orders.findOneBy({ userId, idempotencyKey });
      if (earlier) return this.replay(earlier, hash);
    }

    const address = await this.profiles.shippingAddressOf(userId, requestId);
    if (!address) throw new ShippingAddressRequired();

    const order = this.orders.create({
      id: randomUUID(),
      userId,
      status: 'placed',
      currency: dto.currency,
      items,
      // Computed here from catalogue prices, never taken from the client.
      total: items.reduce((sum, i) => sum + i.quantity * i.unitPrice, 0),
      shippingAddress: address,
      idempotencyKey: idempotencyKey ?? null,
      requestHash: idempotencyKey === undefined ? null : hash,
      createdAt: new Date(),
      cancelledAt: null,
    });
    try {
      await this.orders.insert(order);
    } catch (e) {
      // A concurrent create with the same key won the race: answer what it wrote.
      if (idempotencyKey !== undefined && (e as { code?: string }).code === UNIQUE_VIOLATION) {
        const winner = await this.orders.findOneBy({ userId, idempotencyKey });
        if (winner) return this.replay(winner, hash);
      }
      throw e;
    }
    return { order, replayed: false };
  }

  private replay(earlier: OrderEntity, hash: string): CreatedOrder {
    if (earlier.requestHash !== hash) throw new IdempotencyKeyReused();
    return { order: earlier, replayed: true };
  }

  /** One of the caller's orders; another user's order is "not found", never "forbidden". */
  async get(userId: string, id: string): Promise<OrderEntity> {
    const order = isUuid(id) ? await this.orders.findOneBy({ id, userId }) : null;
    if (!order) throw new OrderNotFound();
    return order;
  }

  /** The caller's orders, newest first, keyset-paginated on (created_at, id). */
  async list(userId: string, limit: number, cursor?: string): Promise<OrderPage> {
    const qb = this.orders
      .createQueryBuilder('o')
      .where('o.user_id = :userId', { userId })
      .orderBy('o.created_at', 'DESC')
      .addOrderBy('o.id', 'DESC')
      .limit(limit + 1);
    if (cursor !== undefined) {
      const after = decodeOrderCursor(cursor);
      qb.andWhere('(o.created_at, o.id) < (:createdAt, :id)', { createdAt: after.createdAt, id: after.id });
    }
    const rows = await qb.getMany();
    const items = rows.slice(0, limit);
    const last = items[items.length - 1];
    return { items, nextCursor: rows.length > limit && last ? encodeOrderCursor(last) : null };
  }

  /** placed → cancelled; any other state is a 409. One conditional UPDATE, so two cancels can't both win. */
  async cancel(userId: string, id: string): Promise<OrderEntity> {
    if (!isUuid(id)) throw new OrderNotFound();
    const result = await this.orders
      .createQueryBuilder()
      .update(OrderEntity)
      .set({ status: 'cancelled', cancelledAt: new Date() })
      .where('id = :id AND user_id = :userId AND status = :placed', { id, userId, placed: 'placed' })
      .execute();
    const order = await this.orders.findOneBy({ id, userId });
    if (!order) throw new OrderNotFound();
    if (!result.affected) throw new OrderNotCancellable(order.status);
    return order;
  }
}
