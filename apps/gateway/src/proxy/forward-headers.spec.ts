import { FORWARDED_FOR_PROOF_HEADER } from '@authmesh/platform';
import type { FastifyRequest } from 'fastify';
import { forwardContextOf, stripHopByHop, upstreamRequestHeaders, withoutCookies } from './forward-headers.js';

const ctx = { requestId: 'req-1', forwardedFor: '203.0.113.5', forwardedProto: 'https', forwardedHost: 'shop.example' };

describe('headers forwarded upstream', () => {
  it('takes X-Forwarded-Host and -Proto from the public origin, never from the client’s Host', () => {
    const request = { id: 'r', ip: '203.0.113.5', host: 'evil.example', protocol: 'http' } as unknown as FastifyRequest;
    expect(forwardContextOf(request, 'https://shop.example:8443')).toEqual({
      requestId: 'r',
      forwardedFor: '203.0.113.5',
      forwardedProto: 'https',
      forwardedHost: 'shop.example:8443',
    });
  });

  it('removes every hop-by-hop field of RFC 9110 §7.6.1 and those Connection names', () => {
    const h = stripHopByHop({
      connection: 'close, X-Private',
      'x-private': '1',
      'keep-alive': 'timeout=5',
      te: 'trailers',
      trailer: 'x-sum',
      'transfer-encoding': 'chunked',
      upgrade: 'websocket',
      'proxy-authorization': 'Basic x',
      'proxy-connection': 'keep-alive',
      accept: 'application/json',
    });
    expect(h).toEqual({ accept: 'application/json' });
  });

  it('sets X-Forwarded-* and X-Request-Id, replacing what the client sent, and drops Forwarded', () => {
    const out = upstreamRequestHeaders(
      {},
      { 'x-forwarded-for': '6.6.6.6', 'x-forwarded-host': 'evil', forwarded: 'for=6.6.6.6', 'x-request-id': 'other' },
      ctx,
      { sessionCookieNames: ['authmesh_session'] },
    );
    expect(out).toMatchObject({
      'x-request-id': 'req-1',
      'x-forwarded-for': '203.0.113.5',
      'x-forwarded-proto': 'https',
      'x-forwarded-host': 'shop.example',
    });
    expect(out.forwarded).toBeUndefined();
  });

  it('drops every other client claim about the client or the original URL (X-Real-IP, X-Forwarded-Port/-Prefix…)', () => {
    const out = upstreamRequestHeaders(
      {},
      {
        accept: 'application/json',
        'x-real-ip': '6.6.6.6',
        'X-Forwarded-Port': '1',
        'x-forwarded-prefix': '/evil',
        'x-forwarded-server': 'evil',
        'true-client-ip': '6.6.6.6',
        'x-client-ip': '6.6.6.6',
      },
      ctx,
      { sessionCookieNames: [] },
    );
    expect(out).toEqual({
      accept: 'application/json',
      'x-request-id': 'req-1',
      'x-forwarded-for': '203.0.113.5',
      'x-forwarded-proto': 'https',
      'x-forwarded-host': 'shop.example',
    });
  });

  it("drops a client-sent forwarded-for proof, whatever its case (only the gateway's own may reach auth)", () => {
    for (const name of [FORWARDED_FOR_PROOF_HEADER, FORWARDED_FOR_PROOF_HEADER.toUpperCase()]) {
      const out = upstreamRequestHeaders({}, { accept: '*/*', [name]: 'v1.forged' }, ctx, { sessionCookieNames: [] });
      expect(Object.keys(out).map((k) => k.toLowerCase())).not.toContain(FORWARDED_FOR_PROOF_HEADER);
    }
  });

  it('replaces Authorization only when the edge chose one', () => {
    const base = { authorization: 'Bearer user' };
    expect(upstreamRequestHeaders({}, base, ctx, { sessionCookieNames: [] }).authorization).toBe('Bearer user');
    expect(upstreamRequestHeaders({}, base, ctx, { sessionCookieNames: [], authorization: 'Bearer exchanged' }).authorization).toBe(
      'Bearer exchanged',
    );
  });

  it('never forwards the session cookie', () => {
    expect(withoutCookies('a=1; authmesh_session=s; b=2', ['authmesh_session'])).toBe('a=1; b=2');
    expect(withoutCookies('authmesh_session=s', ['authmesh_session'])).toBeUndefined();
    expect(withoutCookies(undefined, ['authmesh_session'])).toBeUndefined();
    const out = upstreamRequestHeaders({}, { cookie: 'authmesh_session=s' }, ctx, { sessionCookieNames: ['authmesh_session'] });
    expect(out.cookie).toBeUndefined();
  });
});

describe('upstream headers of a DPoP request', () => {
  const ctx = { requestId: 'r', forwardedFor: '127.0.0.1', forwardedProto: 'https', forwardedHost: 'gw.example' };

  it("replaces the client's proof with the gateway's where the gateway chose the Authorization", () => {
    const out = upstreamRequestHeaders({}, { authorization: 'DPoP user', dpop: 'client-proof' }, ctx, {
      sessionCookieNames: [],
      authorization: 'DPoP internal',
      dpop: 'gateway-proof',
    });
    expect(out).toMatchObject({ authorization: 'DPoP internal', dpop: 'gateway-proof' });
  });

  it("drops the client's proof when the gateway forwards a bearer token", () => {
    const out = upstreamRequestHeaders({}, { authorization: 'Bearer user', dpop: 'client-proof' }, ctx, {
      sessionCookieNames: [],
      authorization: 'Bearer internal',
    });
    expect(out.dpop).toBeUndefined();
  });
});
