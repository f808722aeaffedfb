import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { type RedisClient, RedisConnection } from '@authmesh/platform';
import {
  MemoryRevocationStore,
  REVOCATION_CHANNEL,
  RedisRevocationStore,
  type RevocationEvent,
  type RevocationStore,
  parseRevocationEvent,
} from '@authmesh/revocation';
import type { Redis } from 'ioredis';
import { REVOCATION_STORE } from '../revocation/revocation-store.provider.js';
import { ClientsService } from './clients.service.js';

/**
 * Keeps this instance's client cache honest: listens on the revocation channel for `client`
 * announcements (a client disabled, or its secret or scopes changed, on any auth instance) and
 * for subject revocations (disabling a client revokes its `sub`, and the outbox replays that
 * until Redis took it, so it arrives even when the announcement was lost), and drops the record.
 *
 * Its own subscriber connection (a Redis connection in subscriber mode takes no other command),
 * rather than the verifier's feed: the feed's events are the mirror's business. The cache is used
 * only while the subscription stands; every (re)subscription drops every record, since whatever
 * was announced while we were away was missed. Memory mode (`npm start`) hears the one
 * in-process channel and is always listening.
 */
/** How often the subscription proves itself alive, and how long a PING may take before it is deemed lost. */
export const SUBSCRIPTION_PING_INTERVAL_MS = 1000;
export const SUBSCRIPTION_PING_TIMEOUT_MS = 2000;

@Injectable()
export class ClientChangeSubscriber implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('ClientChangeSubscriber');
  private subscriber?: RedisClient;
  private unsubscribeMemory?: () => void;
  private listening = false;
  private stopped = false;
  private pingTimer?: NodeJS.Timeout;
  private pinging = false;

  constructor(
    private readonly clients: ClientsService,
    private readonly redis: RedisConnection,
    @Inject(REVOCATION_STORE) private readonly store: RevocationStore,
  ) {
    clients.useCacheWhile(() => this.listening);
  }

  onApplicationBootstrap(): void {
    if (this.store instanceof MemoryRevocationStore) {
      this.unsubscribeMemory = this.store.backend.subscribe((event) => this.onEvent(event));
      this.listening = true;
      return;
    }
    if (this.redis.client === undefined) return;
    const channel = this.store instanceof RedisRevocationStore ? this.store.keyspace.channel : REVOCATION_CHANNEL;
    const subscriber = this.redis.duplicate('client-changes', {
      // We SUBSCRIBE ourselves on every ready, so we know when the subscription is confirmed.
      autoResubscribe: false,
      autoResendUnfulfilledCommands: false,
    })!;
    this.subscriber = subscriber;
    subscriber.on('error', () => undefined); // the main connection logs Redis trouble
    subscriber.on('close', () => {
      if (this.listening) this.logger.warn('client-change subscription lost: cached client records are not used until it is back');
      this.listening = false;
    });
    subscriber.on('ready', () => {
      subscriber.subscribe(channel).then(
        () => {
          if (this.stopped) return;
          this.clients.forgetCachedClients();
          this.listening = true;
        },
        () => subscriber.disconnect(true),
      );
    });
    subscriber.on('message', (from: string, message: string) => {
      if (from !== channel) return;
      const event = parseRevocationEvent(message);
      if (event) this.onEvent(event);
    });
    subscriber.connect().catch(() => undefined); // ioredis keeps retrying; the cache waits
    // A connection can die without a `close` (a NAT or firewall dropping an idle pub/sub socket):
    // then announcements stop arriving while the cache would still be trusted. So the subscription
    // proves itself every second, as the verifiers' feed does; a PING that doesn't come back in
    // time stops the cache and forces a reconnect (whose re-subscribe drops every record).
    this.pingTimer = setInterval(() => void this.checkAlive(subscriber), SUBSCRIPTION_PING_INTERVAL_MS);
    this.pingTimer.unref();
  }

  /** One liveness probe of the subscription (exported for the spec through the instance). */
  async checkAlive(subscriber: Pick<Redis, 'ping' | 'disconnect'>): Promise<void> {
    if (!this.listening || this.pinging || this.stopped) return;
    this.pinging = true;
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        subscriber.ping(),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error('PING timed out')), SUBSCRIPTION_PING_TIMEOUT_MS);
        }),
      ]);
    } catch (e) {
      if (this.listening && !this.stopped) {
        this.logger.warn(`client-change subscription unresponsive (${String(e)}): cached client records are not used until it is back`);
        this.listening = false;
        subscriber.disconnect(true);
      }
    } finally {
      clearTimeout(timer);
      this.pinging = false;
    }
  }

  onApplicationShutdown(): void {
    this.stopped = true;
    this.listening = false;
    clearInterval(this.pingTimer);
    this.unsubscribeMemory?.();
    this.subscriber?.disconnect();
  }

  private onEvent(event: RevocationEvent): void {
    if (event.kind === 'client') void this.clients.onAnnouncedChange(event.clientId);
    else if (event.kind === 'sub') void this.clients.onAnnouncedChange(event.sub, true);
  }
}
