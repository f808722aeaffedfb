import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { REVOCATION_FEED, type RevocationEvent, type RevocationFeed, RevocationMirror } from '@authmesh/revocation';
import { ClientsService } from './clients.service.js';

/**
 * The cache is trusted only while the feed is this fresh: a read that has not come back within a
 * heartbeat plus the command timeout (1 s + 2 s) may be on a silently dead connection (a NAT or
 * firewall dropping an idle socket), and announcements would then stop arriving unnoticed.
 */
export const CLIENT_CACHE_MAX_FEED_STALENESS_MS = 3000;

/**
 * Keeps this instance's client cache honest: listens to auth's revocation feed (the one event
 * stream reader auth runs for its own mirror) for `client` announcements (a client disabled, or
 * its secret or scopes changed, on any auth instance) and for subject revocations (disabling a
 * client revokes its `sub`, and the outbox replays that until Redis took it, so it arrives even if
 * the announcement was lost), and drops the record.
 *
 * The cache is used only while the feed is synced and fresh. A reconnect resumes the stream where it
 * left off, so the events missed meanwhile still arrive (and drop their records) before the feed is
 * synced again; when the feed reads the whole stream instead (its first sync, Redis lost events, a
 * re-seed), announcements may have been lost with the data, so every record is dropped. Memory
 * mode (`npm start`) hears the one in-process backend and is live once auth has seeded it.
 */
@Injectable()
export class ClientChangeSubscriber implements OnApplicationShutdown {
  private unlisten?: () => void;

  constructor(
    private readonly clients: ClientsService,
    @Inject(REVOCATION_FEED) private readonly feed: RevocationFeed,
    private readonly mirror: RevocationMirror,
  ) {
    clients.useCacheWhile(() => this.listening());
    // From construction, before the feed starts (its module initialises first): no event between.
    this.unlisten = this.feed.listen({
      event: (event) => this.onEvent(event),
      reset: () => this.clients.forgetCachedClients(),
    });
  }

  /** Whether announcements are reaching this instance now: the feed is synced and fresh. */
  listening(): boolean {
    return this.feed.status().synced && this.mirror.stalenessMs() <= CLIENT_CACHE_MAX_FEED_STALENESS_MS;
  }

  onApplicationShutdown(): void {
    this.unlisten?.();
  }

  private onEvent(event: RevocationEvent): void {
    if (event.kind === 'client') void this.clients.onAnnouncedChange(event.clientId);
    else if (event.kind === 'sub') void this.clients.onAnnouncedChange(event.sub, true);
  }
}
