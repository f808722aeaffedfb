import { parseCacheControl } from './cache-control.js';

describe('parseCacheControl', () => {
  it.each([
    ['public, max-age=300', { kind: 'max-age', seconds: 300 }],
    ['max-age="60", must-revalidate', { kind: 'max-age', seconds: 60 }],
    ['MAX-AGE=5', { kind: 'max-age', seconds: 5 }],
    ['s-maxage=100', { kind: 'unspecified' }],
    ['max-age=-1', { kind: 'unspecified' }],
    ['no-store', { kind: 'no-cache' }],
    ['max-age=300, no-cache', { kind: 'no-cache' }],
    [undefined, { kind: 'unspecified' }],
  ])('reads %j', (header, expected) => {
    expect(parseCacheControl(header)).toEqual(expected);
  });
});
