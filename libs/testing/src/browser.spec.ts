import { ChromiumMissingError, launchChromium } from './browser.js';

describe('launchChromium', () => {
  it('fails (never skips) with a message saying how to install Chromium when the binary is missing', async () => {
    const launching = launchChromium({ executablePath: '/nonexistent/chromium' });
    await expect(launching).rejects.toBeInstanceOf(ChromiumMissingError);
    await expect(launching).rejects.toThrow(/\/nonexistent\/chromium.*apt-get install -y chromium.*fail instead of skipping/s);
  });
});
