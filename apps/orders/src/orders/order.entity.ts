import { Column, Entity, PrimaryColumn } from 'typeorm';

export type OrderStatus = 'placed' | 'cancelled';

export interface OrderItem {
  sku: string;
  quantity: number;
  /** Minor units of the order's currency (cents for EUR). */
  unitPrice: number;
}

export interface OrderShippingAddress {
  line1: string;
  line2?: string;
  city: string;
  postalCode: string;
  country: string;
}

/** bigint comes back from pg as a string; totals are bounded well below 2^53 by the DTO limits. */
const bigintAsNumber = { to: (v: number): number => v, from: (v: string | null): number | null => (v === null ? null : Number(v)) };

@Entity({ name: 'orders' })
export class OrderEntity {
  @PrimaryColumn({ type: 'uuid' }) id!: string;
  @Column({ name: 'user_id', type: 'text' }) userId!: string;
  @Column({ type: 'text' }) status!: OrderStatus;
  @Column({ type: 'char', length: 3 }) currency!: string;
  @Column({ type: 'jsonb' }) items!: OrderItem[];
  @Column({ type: 'bigint', transformer: bigintAsNumber }) total!: number;
  @Column({ name: 'shipping_address', type: 'jsonb' }) shippingAddress!: OrderShippingAddress;
  @Column({ name: 'idempotency_key', type: 'text', nullable: true }) idempotencyKey!: string | null;
  @Column({ name: 'request_hash', type: 'text', nullable: true }) requestHash!: string | null;
  /** Set by the service with millisecond precision, so a cursor built from it round-trips exactly. */
  @Column({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @Column({ name: 'cancelled_at', type: 'timestamptz', nullable: true }) cancelledAt!: Date | null;
}
