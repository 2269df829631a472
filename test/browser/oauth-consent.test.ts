import { existsSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, type TestStack } from '../support/stack.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * The whole connect flow as a person does it: the frontend fetches the authorization URL, the browser goes to
 * the provider's consent page (the sandbox), the user clicks Allow, the provider redirects to our callback,
 * which redirects to the frontend with a ticket; the frontend confirms it with the user's token.
 */
describe('OAuth consent in a real headless browser', () => {
  let stack: TestStack & { cleanup: () => Promise<void> };
  let browser: Browser;
  let frontend: http.Server;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}: apt-get install chromium`);
    // A stand-in frontend that just shows where the browser landed.
    frontend = http.createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(
        `<!doctype html><title>dashboard</title><p id="landed">${req.url?.startsWith('/dashboard') ? 'dashboard' : 'other'}</p>`,
      );
    });
    await new Promise<void>((r) => frontend.listen(0, '127.0.0.1', r));
    process.env.FRONTEND_URL = `http://127.0.0.1:${(frontend.address() as AddressInfo).port}`;
    stack = await startTestStack();
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.cleanup();
    await new Promise<void>((r) => (frontend ? frontend.close(() => r()) : r()));
  });

  for (const provider of ['google_drive', 'onedrive', 'dropbox'] as const) {
    it(`connects ${provider} through the consent page`, async () => {
      const user = await stack.createUser();
      const connect = await stack.api<{ authorizationUrl: string }>(
        'GET',
        `/cloud-storage/connect/${provider}`,
        {
          token: user.accessToken,
        },
      );
      expect(connect.status).toBe(200);

      // The sandbox's certificate is made at start-up; the browser profile is throwaway.
      const context = await browser.newContext({ ignoreHTTPSErrors: true });
      const page = await context.newPage();
      await page.goto(connect.body.authorizationUrl);
      await expect(page.locator('#allow').isVisible()).resolves.toBe(true);
      await Promise.all([page.waitForURL(/\/dashboard\?/), page.click('#allow')]);

      const landed = new URL(page.url());
      expect(await page.textContent('#landed')).toBe('dashboard');
      expect(landed.searchParams.get('cloud_connect')).toBe('confirm');
      expect(landed.searchParams.get('provider')).toBe(provider);
      const ticket = landed.searchParams.get('ticket')!;
      await context.close();

      const confirmed = await stack.api<{ provider: string; status: string }>(
        'POST',
        `/cloud-storage/connections/${provider}/confirm`,
        { token: user.accessToken, body: { ticket } },
      );
      expect(confirmed.status).toBe(200);
      expect(confirmed.body).toMatchObject({ provider, status: 'active' });
    });
  }

  it('Deny brings the browser back to the frontend with access_denied', async () => {
    const user = await stack.createUser();
    const connect = await stack.api<{ authorizationUrl: string }>('GET', '/cloud-storage/connect/dropbox', {
      token: user.accessToken,
    });
    const context = await browser.newContext({ ignoreHTTPSErrors: true });
    const page = await context.newPage();
    await page.goto(connect.body.authorizationUrl);
    await Promise.all([page.waitForURL(/\/dashboard\?/), page.click('#deny')]);
    const landed = new URL(page.url());
    expect(landed.searchParams.get('cloud_connect')).toBe('error');
    expect(landed.searchParams.get('reason')).toBe('access_denied');
    await context.close();
  });
});
