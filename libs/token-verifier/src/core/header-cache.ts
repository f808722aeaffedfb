import { checkHeader } from './check-header.js';
import { decodeJsonSegment } from './parse-compact-jws.js';

/**
 * Checked protected headers by their base64url segment, giving the `kid`. Every token one key
 * signs carries the same header bytes, so decoding and checking it once per key instead of once
 * per token saves a base64 decode and a JSON.parse on the cold path. Only headers that passed
 * every check are stored, and the map is cleared when full, so junk headers cannot grow it.
 */
export class HeaderCache {
  private readonly kids = new Map<string, string>();

  constructor(private readonly maxEntries = 64) {}

  /** The kid of a valid header segment `token[0, headerEnd)`; throws the header's error otherwise. */
  kidOf(token: string, headerEnd: number): string {
    const segment = token.slice(0, headerEnd);
    const cached = this.kids.get(segment);
    if (cached !== undefined) return cached;
    const kid = checkHeader(decodeJsonSegment(token, 0, headerEnd, 'header'));
    if (this.kids.size >= this.maxEntries) this.kids.clear();
    this.kids.set(segment, kid);
    return kid;
  }
}
