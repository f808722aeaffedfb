import type { SchemaObject } from '@nestjs/swagger';

const ADDRESS: SchemaObject = {
  type: 'object',
  description: "Copied from the caller's profile when the order was placed.",
  required: ['line1', 'city', 'postalCode', 'country'],
  properties: {
    line1: { type: 'string' },
    line2: { type: 'string' },
    city: { type: 'string' },
    postalCode: { type: 'string' },
    country: { type: 'string', description: 'ISO 3166-1 alpha-2.' },
  },
};

/** What the orders API answers (OrderView in orders.dto.ts), for `GET /openapi.json`. */
export const ORDERS_SCHEMAS: Record<string, SchemaObject> = {
  OrderView: {
    type: 'object',
    required: ['id', 'status', 'items', 'total', 'currency', 'shippingAddress', 'createdAt', 'cancelledAt'],
    properties: {
      id: { type: 'string', format: 'uuid' },
      status: { type: 'string', enum: ['placed', 'cancelled'] },
      items: {
        type: 'array',
        items: {
          type: 'object',
          required: ['sku', 'quantity', 'unitPrice'],
          properties: {
            sku: { type: 'string' },
            quantity: { type: 'integer' },
            unitPrice: { type: 'integer', description: 'Minor units, from the catalogue.' },
          },
        },
      },
      total: { type: 'integer', description: 'Minor units of `currency`.' },
      currency: { type: 'string', description: 'ISO 4217.' },
      shippingAddress: ADDRESS,
      createdAt: { type: 'string', format: 'date-time' },
      cancelledAt: { type: ['string', 'null'], format: 'date-time' },
    },
  },
  OrderPage: {
    type: 'object',
    required: ['items', 'nextCursor'],
    properties: {
      items: { type: 'array', items: { $ref: '#/components/schemas/OrderView' } },
      nextCursor: { type: ['string', 'null'], description: 'Pass as `cursor` for the next page; null on the last one.' },
    },
  },
};
