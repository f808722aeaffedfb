import type { SchemaObject } from '@nestjs/swagger';

/** What the profiles API answers (ProfileView in profiles.dto.ts), for `GET /openapi.json`. */
export const PROFILES_SCHEMAS: Record<string, SchemaObject> = {
  ProfileView: {
    type: 'object',
    required: ['userId', 'displayName', 'shippingAddress', 'createdAt', 'updatedAt'],
    properties: {
      userId: { type: 'string', description: "The `sub` of the user's tokens." },
      displayName: { type: ['string', 'null'] },
      shippingAddress: { anyOf: [{ $ref: '#/components/schemas/ShippingAddressDto' }, { type: 'null' }] },
      createdAt: { type: 'string', format: 'date-time' },
      updatedAt: { type: 'string', format: 'date-time' },
    },
  },
  ProfilePage: {
    type: 'object',
    required: ['items', 'nextCursor'],
    properties: {
      items: { type: 'array', items: { $ref: '#/components/schemas/ProfileView' } },
      nextCursor: { type: ['string', 'null'], description: 'Pass as `cursor` for the next page; null on the last one.' },
    },
  },
};
