import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Browser, LaunchOptions, Page } from 'playwright-core';

/**
 * Debian's Chromium (`apt-get install chromium`; `.ci/run` installs it when missing). playwright-core
 * downloads no browser of its own: the tests drive the system's, so they need no network.
 * `CHROMIUM_PATH` points elsewhere (another distribution's binary).
 */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** `<repo>/.screenshots/`: git-ignored, one PNG per page a browser test visits, for review. */
export const SCREENSHOT_DIR = resolve(import.meta.dirname, '../../../.screenshots');

/**
 * Chromium is not installed where the browser tests look. They FAIL rather than skip, on purpose:
 * CI installs Chromium, and a browser test that skipped would let CI pass without the web app
 * ever having been driven.
 */
export class ChromiumMissingError extends Error {
  static readonly code = 'chromium_missing';
  readonly code = ChromiumMissingError.code;
  constructor(path: string) {
    super(
      `Chromium not found at ${path}: the browser tests (e2e/browser) drive Debian's Chromium. ` +
        'Install it (sudo apt-get install -y chromium; .ci/run does this in CI) or set CHROMIUM_PATH. ' +
        'These tests fail instead of skipping so that CI cannot pass without running them.',
    );
    this.name = 'ChromiumMissingError';
  }
}

/**
 * Headless Chromium for a test file: `--no-sandbox` (containers and CI run as root, where Chromium's
 * sandbox refuses to start), no GPU, no background traffic (component updates, safe-browsing
 * lists: nothing leaves the machine). Close it in `afterAll`.
 *
 * @example
 * const browser = await launchChromium();
 * const page = await (await browser.newContext()).newPage();
 */
export async function launchChromium(options: LaunchOptions = {}): Promise<Browser> {
  const executablePath = options.executablePath ?? CHROMIUM_PATH;
  if (!existsSync(executablePath)) throw new ChromiumMissingError(executablePath);
  // Loaded here, not at the top: every test imports @authmesh/testing, few need a browser.
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    ...options,
    executablePath,
  });
}

/** Saves the whole page as `.screenshots/<name>.png` and returns the file's path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const path = join(SCREENSHOT_DIR, `${name.replace(/[^A-Za-z0-9._-]+/g, '-')}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}
