import { b64url } from '../../test/support/token-factory.js';
import { TokenMalformedError, TokenTooLargeError } from './errors.js';
import { decodeJsonSegment, isStrictCompactJws, splitCompactJws } from './parse-compact-jws.js';

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

describe('decodeJsonSegment', () => {
  it.each([
    ['not JSON', b64url('{"alg":')],
    ['a JSON array', b64url(['RS256'])],
    ['JSON null', b64url('null')],
  ])('rejects a segment that is %s', (_name, segment) => {
    expect(() => decodeJsonSegment(segment, 0, segment.length, 'header')).toThrow(TokenMalformedError);
  });
});
