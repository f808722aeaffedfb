import type { ValidationError } from '@nestjs/common';
import { flattenValidationErrors } from './validation.js';

describe('flattenValidationErrors', () => {
  it('names nested fields by their dotted path', () => {
    const errors = [
      { property: 'currency', value: 'EURO', constraints: { isIn: 'currency must be an ISO 4217 code' }, children: [] },
      {
        property: 'items',
        children: [
          {
            property: '0',
            children: [{ property: 'quantity', value: 0, constraints: { min: 'quantity must not be less than 1' }, children: [] }],
          },
        ],
      },
    ] as unknown as ValidationError[];
    expect(flattenValidationErrors(errors)).toEqual([
      { field: 'currency', problems: ['currency must be an ISO 4217 code'] },
      { field: 'items.0.quantity', problems: ['quantity must not be less than 1'] },
    ]);
  });

  it('says only "is required" for a missing field, not its other rules', () => {
    const errors = [
      {
        property: 'email',
        value: undefined,
        constraints: { maxLength: 'email must be shorter than or equal to 254 characters', isEmail: 'email must be an email address' },
        children: [],
      },
    ] as unknown as ValidationError[];
    expect(flattenValidationErrors(errors)).toEqual([{ field: 'email', problems: ['email is required'] }]);
  });
});
