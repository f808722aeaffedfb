import { b64url } from '@authmesh/testing';
import { TokenMalformedError, TokenTooLargeError } from './errors.js';
import {
  decodeJsonSegment,
  isCanonicalBase64url,
  isCanonicalFinalSegment,
  isStrictCompactJws,
  splitCompactJws,
} from './parse-compact-jws.js';

const header = b64url({ alg: 'RS256', typ: 'at+jwt', kid: 'k' });
const payload = b64url({ sub: 'x' });

describe('splitCompactJws', () => {
  it('locates the segments', () => {
    const token = `${header}.${payload}.c2ln`;
    const { headerEnd, payloadEnd } = splitCompactJws(token, 8192);
    expect(token.slice(0, headerEnd)).toBe(header);
    expect(token.slice(0, payloadEnd)).toBe(`${header}.${payload}`);
  });

  it('checks the length cap before anything else', () => {
    expect(() => splitCompactJws('.'.repeat(101), 100)).toThrow(TokenTooLargeError);
  });

  it.each([
    ['one segment', header],
    ['two segments', `${header}.${payload}`],
    ['four segments', `${header}.${payload}.c2ln.c2ln`],
    ['an empty header', `.${payload}.c2ln`],
    ['an empty payload', `${header}..c2ln`],
  ])('rejects a token with %s', (_name, token) => {
    expect(() => splitCompactJws(token, 8192)).toThrow(TokenMalformedError);
  });
});

describe('isStrictCompactJws', () => {
  const strict = (token: string) => isStrictCompactJws(token, splitCompactJws(token, 8192));

  it('accepts base64url segments, and an empty signature', () => {
    expect(strict(`${header}.${payload}.c2ln`)).toBe(true);
    expect(strict(`${header}.${payload}.`)).toBe(true);
  });

  it.each([
    ['standard base64 characters', `${header}.${payload}+/.c2ln`],
    ['padding', `${header}.${payload}=.c2ln`],
    ['a space', `${header}.${payload}.c2 ln`],
    ['an impossible base64 length', `${header}.${payload}.c2lnx`],
  ])('refuses %s', (_name, token) => {
    expect(strict(token)).toBe(false);
  });
});

describe('isCanonicalBase64url', () => {
  const canonical = (s: string) => isCanonicalBase64url(s, 0, s.length);

  it('accepts what Buffer encodes, for every length and every trailing byte', () => {
    for (let length = 0; length <= 4; length++) {
      for (let byte = 0; byte < 256; byte++) {
        const encoded = Buffer.alloc(length, byte).toString('base64url');
        expect([encoded, canonical(encoded)]).toEqual([encoded, true]);
      }
    }
  });

  it('agrees with the hot-path check of the last segment on every case here', () => {
    const cases = ['', 'YQ', 'YR', 'YWI', 'YWJ', 'YWJj', 'YWJjZ', 'ab+d', 'ab/d', 'YQ==', 'YW Jj', 'YWJé', '-_8', 'YWJ\u2028'];
    for (let length = 0; length <= 4; length++)
      for (let byte = 0; byte < 256; byte += 17) cases.push(Buffer.alloc(length, byte).toString('base64url'));
    for (const c of cases) expect([c, isCanonicalFinalSegment(`x.y.${c}`, 4)]).toEqual([c, canonical(c)]);
  });

  it('looks only at [start, end)', () => {
    expect(isCanonicalBase64url('+c2ln=', 1, 5)).toBe(true);
  });

  it.each([
    ['"+"', 'ab+d'],
    ['"/"', 'ab/d'],
    ['"=" padding', 'YQ=='],
    ['a single "="', 'YWI='],
    ['non-zero trailing bits after one byte', 'YR'],
    ['non-zero trailing bits after two bytes', 'YWJ'],
    ['a length of 4n+1', 'YWJjZ'],
    ['a space', 'YW Jj'],
    ['a non-ASCII character', 'YWJé'],
    ['a character above U+00FF', 'YWJ\u2028'],
  ])('refuses %s', (_name, s) => {
    expect(canonical(s)).toBe(false);
  });

  it('agrees that Node decodes the refused variants to the same bytes (why the check exists)', () => {
    expect(Buffer.from('YR', 'base64url')).toEqual(Buffer.from('YQ', 'base64url'));
    expect(Buffer.from('+/8', 'base64url')).toEqual(Buffer.from('-_8', 'base64url'));
  });
});

describe('decodeJsonSegment', () => {
  it.each([
    ['not JSON', b64url('{"alg":')],
    ['a JSON array', b64url(['RS256'])],
    ['JSON null', b64url('null')],
  ])('rejects a segment that is %s', (_name, segment) => {
    expect(() => decodeJsonSegment(segment, 0, segment.length, 'header')).toThrow(TokenMalformedError);
  });
});
