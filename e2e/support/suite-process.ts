import { freePort } from '@authmesh/testing';
import type { SuitePorts } from '../../tools/topology/suite-process.js';

// The built suite as a process: shared with `npm run demo`, which starts one when none answers.
export * from '../../tools/topology/suite-process.js';

/**
 * Real free ports for the four services: auth signs tokens with `iss` = its own URL, computed from
 * its port before listening (port 0 would give an issuer no verifier accepts), and a restarted suite
 * must come back on the same ones for its earlier tokens to verify.
 */
export async function freeSuitePorts(): Promise<SuitePorts> {
  return { gateway: await freePort(), auth: await freePort(), orders: await freePort(), profiles: await freePort() };
}
