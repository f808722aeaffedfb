import { parseExposition, quantileBetween, sumOf } from './scrape.js';

describe('dashboard chart: reading scrapes', () => {
  const before = parseExposition(
    [
      '# TYPE h histogram',
      'h_bucket{le="0.1",r="a"} 0',
      'h_bucket{le="1",r="a"} 0',
      'h_bucket{le="+Inf",r="a"} 0',
      'c_total{s="x"} 3',
    ].join('\n'),
  );
  const after = parseExposition(
    ['h_bucket{le="0.1",r="a"} 5', 'h_bucket{le="1",r="a"} 10', 'h_bucket{le="+Inf",r="a"} 10', 'c_total{s="x"} 7'].join('\n'),
  );

  it('sums samples by label', () => {
    expect(sumOf(after, 'c_total', { s: 'x' }) - sumOf(before, 'c_total', { s: 'x' })).toBe(4);
  });

  it('computes a quantile between two scrapes as histogram_quantile does', () => {
    expect(quantileBetween(before, after, 'h', 0.5)).toBeCloseTo(0.1);
    expect(quantileBetween(before, after, 'h', 0.75)).toBeCloseTo(0.55);
    expect(quantileBetween(before, before, 'h', 0.5)).toBeNull();
  });
});
