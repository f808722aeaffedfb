import { EventEmitter } from 'node:events';
import { jest } from '@jest/globals';
import type { RedisConnection } from '@authmesh/platform';
import type { RevocationStore } from '@authmesh/revocation';
import { ClientChangeSubscriber, SUBSCRIPTION_PING_TIMEOUT_MS } from './client-change-subscriber.js';
import type { ClientsService } from './clients.service.js';

/** A stand-in for ioredis's subscriber connection: a unit test of the liveness rule, no socket. */
class FakeSubscriber extends EventEmitter {
  answerPings = true;
  disconnects: boolean[] = [];
  connect = async (): Promise<void> => {
    queueMicrotask(() => this.emit('ready'));
  };
  subscribe = async (): Promise<number> => 1;
  ping = (): Promise<'PONG'> => (this.answerPings ? Promise.resolve('PONG') : new Promise<'PONG'>(() => undefined));
  disconnect = (reconnect = false): void => {
    this.disconnects.push(reconnect);
  };
}

function subscriberWith(fake: FakeSubscriber) {
  let cacheUsable: () => boolean = () => false;
  let forgotten = 0;
  const clients = {
    useCacheWhile: (fn: () => boolean) => (cacheUsable = fn),
    forgetCachedClients: () => forgotten++,
    onAnnouncedChange: async () => undefined,
  } as unknown as ClientsService;
  const redis = { client: {}, duplicate: () => fake } as unknown as RedisConnection;
  const subscriber = new ClientChangeSubscriber(clients, redis, {} as RevocationStore);
  return { subscriber, cacheUsable: () => cacheUsable(), forgotten: () => forgotten };
}

describe('ClientChangeSubscriber', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('trusts the client cache only once subscribed, dropping every record on subscribe', async () => {
    const fake = new FakeSubscriber();
    const s = subscriberWith(fake);
    expect(s.cacheUsable()).toBe(false);
    s.subscriber.onApplicationBootstrap();
    await jest.advanceTimersByTimeAsync(0);
    expect(s.cacheUsable()).toBe(true);
    expect(s.forgotten()).toBe(1);
    s.subscriber.onApplicationShutdown();
  });

  it('stops trusting the cache and reconnects when the subscription stops answering PING (a silently dropped socket)', async () => {
    const fake = new FakeSubscriber();
    const s = subscriberWith(fake);
    s.subscriber.onApplicationBootstrap();
    await jest.advanceTimersByTimeAsync(3000);
    expect(s.cacheUsable()).toBe(true); // pings answered: still trusted
    fake.answerPings = false;
    await jest.advanceTimersByTimeAsync(1000 + SUBSCRIPTION_PING_TIMEOUT_MS);
    expect(s.cacheUsable()).toBe(false);
    expect(fake.disconnects).toEqual([true]);
    s.subscriber.onApplicationShutdown();
  });

  it('stops trusting the cache when the connection closes', async () => {
    const fake = new FakeSubscriber();
    const s = subscriberWith(fake);
    s.subscriber.onApplicationBootstrap();
    await jest.advanceTimersByTimeAsync(0);
    fake.emit('close');
    expect(s.cacheUsable()).toBe(false);
    s.subscriber.onApplicationShutdown();
  });
});
