import type { ValidationError } from '@nestjs/common';
import { flattenValidationErrors } from './validation.js';

describe('flattenValidationErrors', () => {
  it('names nested fields by their dotted path', () => {
    const errors = [
      { property: 'currency', constraints: { isIn: 'currency must be an ISO 4217 code' }, children: [] },
      {
        property: 'items',
        children: [
          { property: '0', children: [{ property: 'quantity', constraints: { min: 'quantity must not be less than 1' }, children: [] }] },
        ],
      },
    ] as unknown as ValidationError[];
    expect(flattenValidationErrors(errors)).toEqual([
      { field: 'currency', problems: ['currency must be an ISO 4217 code'] },
      { field: 'items.0.quantity', problems: ['quantity must not be less than 1'] },
    ]);
  });
});
