// Headless Chromium for the web page tests, driven by playwright-core (no browser download: Debian's
// chromium package; CI installs it through .ci/run). Without it the tests skip, saying why.
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';

export const CHROMIUM_PATH = '/usr/bin/chromium';

/** Why the browser tests cannot run here, or false when they can (for `describe(…, { skip })`). */
export function browserMissing(): string | false {
  return existsSync(CHROMIUM_PATH)
    ? false
    : `no Chromium at ${CHROMIUM_PATH}: install Debian's chromium package (.ci/run does) to run the web page tests`;
}

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

export interface WatchedPage {
  context: BrowserContext;
  page: Page;
  /** Uncaught errors in the page's scripts and console errors, to assert there are none. */
  errors: string[];
}

/** A fresh context (its own localStorage) and page, recording script errors. */
export async function openPage(browser: Browser): Promise<WatchedPage> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-GB' });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    // Failed API calls (401 before the key, a 422 shown to the person) are logged by Chromium as
    // resource errors; they are expected answers, not script errors.
    if (message.type() === 'error' && !/Failed to load resource/.test(message.text())) {
      errors.push(`console error: ${message.text()}`);
    }
  });
  return { context, page, errors };
}

/** A directory for screenshots that outlives the test (its path is printed for people to look at). */
export async function screenshotDirectory(label: string): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), `faceshot-${label}-`));
}
