import { PageQuery } from '@authmesh/platform';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsISO4217CurrencyCode,
  IsInt,
  IsOptional,
  IsString,
  Matches,
  Max,
  Min,
  ValidateNested,
} from 'class-validator';
import type { OrderEntity, OrderItem, OrderShippingAddress, OrderStatus } from './order.entity.js';

/** A catalogue SKU: one rule for validation and for the OpenAPI document. */
const SKU_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

const upper = ({ value }: { value: unknown }): unknown => (typeof value === 'string' ? value.trim().toUpperCase() : value);

// Limits keep every total below Number.MAX_SAFE_INTEGER: 100 items × 10 000 × 10^9 = 10^15.
/** One line of a new order: a catalogue SKU and a quantity; the price comes from the catalogue. */
export class OrderItemDto {
  @ApiProperty({ description: 'A catalogue SKU.', pattern: SKU_PATTERN.source, examples: ['BOOK-1'] })
  @IsString()
  @Matches(SKU_PATTERN, { message: 'sku must be 1-64 letters, digits, dots, hyphens or underscores' })
  sku!: string;

  @ApiProperty({ type: 'integer', minimum: 1, maximum: 10_000 })
  @IsInt({ message: 'quantity must be an integer' })
  @Min(1, { message: 'quantity must be greater than 0' })
  @Max(10_000)
  quantity!: number;

  /**
   * Optional, and never used to price the order: when present it must equal the catalogue price
   * (a client showing a stale price learns it, instead of being charged another one).
   */
  @ApiPropertyOptional({
    type: 'integer',
    minimum: 1,
    maximum: 1_000_000_000,
    description: 'Minor units. Never used to price the order: when present it must equal the catalogue price.',
  })
  @IsOptional()
  @IsInt({ message: 'unitPrice must be an integer number of minor units' })
  @Min(1)
  @Max(1_000_000_000)
  unitPrice?: number;
}

export class CreateOrderDto {
  @ApiProperty({ type: [OrderItemDto], minItems: 1, maxItems: 100 })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(100)
  @ValidateNested({ each: true })
  @Type(() => OrderItemDto)
  items!: OrderItemDto[];

  @ApiProperty({ description: 'ISO 4217 currency code (case-insensitive).', examples: ['EUR'] })
  @Transform(upper)
  @IsString()
  @IsISO4217CurrencyCode({ message: 'currency must be an ISO 4217 currency code' })
  currency!: string;
}

/** `GET /orders?limit=&cursor=` */
export class ListOrdersQuery extends PageQuery {}

export interface OrderView {
  id: string;
  status: OrderStatus;
  items: OrderItem[];
  total: number;
  currency: string;
  shippingAddress: OrderShippingAddress;
  createdAt: string;
  cancelledAt: string | null;
}

export function toOrderView(o: OrderEntity): OrderView {
  return {
    id: o.id,
    status: o.status,
    items: o.items,
    total: o.total,
    currency: o.currency,
    shippingAddress: o.shippingAddress,
    createdAt: o.createdAt.toISOString(),
    cancelledAt: o.cancelledAt?.toISOString() ?? null,
  };
}
