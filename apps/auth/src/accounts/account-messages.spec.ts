import { Logger } from '@nestjs/common';
import { LogAccountMessageSender } from './account-messages.js';

describe('account message senders', () => {
  let lines: string[];
  beforeEach(() => {
    lines = [];
    Logger.overrideLogger({
      log: (m: unknown) => void lines.push(String(m)),
      warn: (m: unknown) => void lines.push(String(m)),
      error: (m: unknown) => void lines.push(String(m)),
      debug: () => undefined,
      verbose: () => undefined,
    });
  });
  afterEach(() => Logger.overrideLogger(false));

  it('the log sender writes one line per message, with the verification token', async () => {
    const sender = new LogAccountMessageSender();
    await sender.send({ kind: 'verify_email', to: 'a@example.com', token: 'T'.repeat(43), expiresAt: '2026-12-02T00:00:00.000Z' });
    await sender.send({ kind: 'registration_attempt', to: 'a@example.com' });
    expect(lines).toEqual([
      expect.stringContaining(`verify_email to a@example.com: token ${'T'.repeat(43)}`),
      expect.stringContaining('registration_attempt to a@example.com'),
    ]);
  });
  it('the log sender writes an unlock message with its address and token (the only delivery without a webhook)', async () => {
    const sender = new LogAccountMessageSender();
    await sender.send({
      kind: 'unlock_address',
      to: 'a@example.com',
      address: '198.51.100.7',
      token: 'U'.repeat(43),
      expiresAt: '2026-12-01T00:15:00.000Z',
    });
    expect(lines).toEqual([expect.stringContaining(`unlock_address to a@example.com for address 198.51.100.7: token ${'U'.repeat(43)}`)]);
  });
});
