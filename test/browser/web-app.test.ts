import { createHash, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { pdf } from '#local/documents/fixtures';
import { PROVIDERS } from '#shared/providers/types';
import { withClient } from '../support/db.ts';
import { startTestStack, type TestStack } from '../support/stack.ts';
import {
  assertClean,
  type Browser,
  expectAccessible,
  expectNoHorizontalScroll,
  newContext,
  type Page,
  screenshot,
} from './support/browser.ts';

const NAMES = { google_drive: 'Google Drive', onedrive: 'OneDrive', dropbox: 'Dropbox' } as const;
type Provider = keyof typeof NAMES;

/**
 * The web app in a real browser, against the whole local stack with sandbox providers: what a person does,
 * through the pages, with axe-core on every page and a screenshot of each (test-results/screenshots).
 */
describe('web app', { timeout: 180_000 }, () => {
  let stack: TestStack & { cleanup: () => Promise<void> };
  let browser: Browser;
  const control = () => stack.sandbox!.control;

  beforeAll(async () => {
    delete process.env.FRONTEND_URL;
    stack = await startTestStack({ webApp: true });
    browser = await (await import('./support/browser.ts')).launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.cleanup();
  });

  const newUser = () => ({
    email: `web-${randomBytes(4).toString('hex')}@example.test`,
    password: `Pw-${randomBytes(6).toString('hex')}-A1!`,
    name: 'Ann Example',
  });

  async function signUp(page: Page, user: ReturnType<typeof newUser>, shots?: string) {
    await page.goto(`${stack.url}/`);
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    if (shots) {
      await expectAccessible(page, 'sign in');
      await screenshot(page, `${shots}-signin`);
    }
    await page.getByRole('link', { name: 'Create an account' }).click();
    await page.getByLabel('Your name').fill(user.name);
    await page.getByLabel('Email').fill(user.email);
    await page.getByLabel('Password', { exact: true }).fill(user.password);
    if (shots) {
      await expect(page.locator('.rules li.met').count()).resolves.toBe(5);
      await expectAccessible(page, 'sign up');
      await screenshot(page, `${shots}-signup`);
    }
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByRole('heading', { name: 'Cloud storage' }).waitFor();
    await page.getByRole('heading', { name: 'Dropbox' }).waitFor();
  }

  async function consent(page: Page, decision: 'allow' | 'deny') {
    await page.waitForURL((url) => url.origin === stack.sandbox!.origin);
    await page.locator(`#${decision}`).click();
    await page.waitForURL((url) => url.origin === stack.url && url.pathname === '/dashboard');
  }

  const nav = (page: Page, name: string) =>
    page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name });
  const card = (page: Page, provider: Provider) =>
    page.locator('li.card', { has: page.getByRole('heading', { name: NAMES[provider] }) });

  async function connect(page: Page, provider: Provider, action: 'Connect' | 'Reconnect' = 'Connect') {
    await page.getByRole('button', { name: `${action} ${NAMES[provider]}` }).click();
    await consent(page, 'allow');
    await page.getByText(new RegExp(`${NAMES[provider]} is connected as`)).waitFor();
    // The ticket never stays in the address bar.
    expect(new URL(page.url()).search).toBe('');
    await card(page, provider).getByText('Connected', { exact: true }).waitFor();
  }

  for (const provider of PROVIDERS as readonly Provider[]) {
    it(`the whole journey with ${NAMES[provider]}: sign up, deny once, connect, browse, import, disconnect`, async () => {
      const { context, page, problems } = await newContext(browser);
      const shots = `journey-${provider}`;
      await signUp(page, newUser(), provider === 'google_drive' ? shots : undefined);

      // Deny once: the reason in words and a Try again button; nothing in the address bar.
      await page.getByRole('button', { name: `Connect ${NAMES[provider]}` }).click();
      await consent(page, 'deny');
      await page.getByText('You chose not to allow access.').waitFor();
      expect(new URL(page.url()).search).toBe('');
      await expectAccessible(page, 'settings after deny');
      await screenshot(page, `${shots}-denied`);

      // Try again → Allow.
      await page.getByRole('button', { name: 'Try again' }).click();
      await consent(page, 'allow');
      await page.getByText(new RegExp(`${NAMES[provider]} is connected as`)).waitFor();
      expect(new URL(page.url()).search).toBe('');
      const account = control().account(provider);
      await card(page, provider).getByText(`Connected as ${account.email}`).waitFor();
      await expectAccessible(page, 'settings connected');
      await screenshot(page, `${shots}-connected`);

      // Browse: folders first, into /Batch, paging with Load more, breadcrumbs back to the root.
      await page.getByRole('link', { name: `Browse files in ${NAMES[provider]}` }).click();
      await page.getByRole('heading', { name: `${NAMES[provider]} files` }).waitFor();
      await page.getByRole('cell', { name: /readme\.txt/ }).waitFor();
      const names = await page.locator('table.files tbody th').allInnerTexts();
      const firstFile = names.findIndex((n) => !n.includes('(folder)') && !n.includes('▸'));
      expect(names.slice(0, firstFile).every((n) => n.includes('▸'))).toBe(true);
      await expectAccessible(page, 'files');
      await screenshot(page, `${shots}-files`);
      await page.goto(`${stack.url}/files?provider=${provider}&pageSize=3`);
      await page.getByRole('button', { name: /Batch/ }).click();
      await page.locator('nav.breadcrumbs [aria-current="location"]', { hasText: 'Batch' }).waitFor();
      await expect.poll(() => page.locator('table.files tbody tr').count()).toBe(3);
      await page.getByRole('button', { name: 'Load more' }).click();
      await expect.poll(() => page.locator('table.files tbody tr').count()).toBe(6);
      await page.getByRole('button', { name: 'Load more' }).click();
      await expect.poll(() => page.locator('table.files tbody tr').count()).toBe(7);
      await expect(page.getByRole('button', { name: 'Load more' }).count()).resolves.toBe(0);
      await page.locator('nav.breadcrumbs').getByRole('button', { name: NAMES[provider] }).click();
      await page.locator('nav.breadcrumbs [aria-current="location"]', { hasText: NAMES[provider] }).waitFor();
      await page.getByRole('button', { name: /Batch/ }).waitFor();
      await page.goto(`${stack.url}/files?provider=${provider}`);
      await page.getByRole('cell', { name: /readme\.txt/ }).waitFor();

      // Import with a category: accepted at once (202), the row says Importing… while the server copies and
      // reads the file, then Imported; the asset is listed under Brand voice.
      await page.getByLabel('Import as').selectOption('tone_of_voice');
      await page.getByRole('button', { name: 'Import readme.txt' }).click();
      await page.getByText(/Importing “readme/).waitFor();
      await page.getByText(/Imported “readme/).waitFor();
      await page
        .getByRole('row', { name: /readme\.txt/ })
        .getByText('Imported')
        .waitFor();
      await nav(page, 'Brand voice').click();
      await page.getByRole('heading', { name: 'Brand voice', level: 1 }).waitFor();
      await page.getByRole('link', { name: /readme/ }).waitFor();
      await expect(page.locator('.asset .muted').first().textContent()).resolves.toMatch(
        /Tone of voice · imported/,
      );
      await expectAccessible(page, 'brand voice');
      await screenshot(page, `${shots}-brand-voice`);
      await page.getByRole('link', { name: /readme/ }).click();
      await page.getByRole('heading', { name: /readme/, level: 1 }).waitFor();
      await page.getByRole('region', { name: 'Text' }).waitFor();
      await expectAccessible(page, 'brand voice document');
      await screenshot(page, `${shots}-document`);

      // Disconnect through the confirm dialog (Escape cancels and gives focus back first).
      await nav(page, 'Cloud storage').click();
      await page.getByRole('button', { name: `Disconnect ${NAMES[provider]}` }).click();
      await page.getByRole('dialog').waitFor();
      await expectAccessible(page, 'disconnect dialog');
      await page.keyboard.press('Escape');
      await expect.poll(() => page.getByRole('dialog').count()).toBe(0);
      await expect(page.evaluate("document.activeElement?.getAttribute('aria-label')")).resolves.toBe(
        `Disconnect ${NAMES[provider]}`,
      );
      await page.getByRole('button', { name: `Disconnect ${NAMES[provider]}` }).click();
      await page.getByRole('dialog').getByRole('button', { name: 'Disconnect' }).click();
      await page.getByText(`${NAMES[provider]} is disconnected.`).waitFor();
      await card(page, provider).getByText('Not connected').waitFor();
      await page.getByRole('button', { name: `Connect ${NAMES[provider]}` }).waitFor();
      assertClean(problems);
      await context.close();
    });
  }

  it('uploads a PDF from the computer with progress, sees it become ready, reads it, downloads the original; the bell tells', async () => {
    const { context, page, problems } = await newContext(browser);
    await signUp(page, newUser());
    await connect(page, 'google_drive');
    await nav(page, 'Brand voice').click();
    await page.getByRole('heading', { name: 'Brand voice', level: 1 }).waitFor();

    // About 700 KB over an upload throttled to 256 KB/s: the progress bar has time to move.
    const sentence = 'Our voice is warm, direct and never shouts.';
    const pages = Array.from({ length: 300 }, (_, i) =>
      Array.from({ length: 40 }, (_, l) => `Page ${i + 1} line ${l + 1}: ${sentence}`).join('\n'),
    );
    const file = pdf(pages);
    expect(file.length).toBeGreaterThan(600_000);
    const cdp = await context.newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.emulateNetworkConditions', {
      offline: false,
      latency: 0,
      downloadThroughput: -1,
      uploadThroughput: 256 * 1024,
    });
    await page.getByLabel('Category').selectOption('brand_guidelines');
    await page.getByLabel('Choose a file').setInputFiles({
      name: 'Guidelines 2027.pdf',
      mimeType: 'application/pdf',
      buffer: file,
    });
    // Caught in the page while it moves: a value strictly between 0 and 100, and the words beside it.
    // Read over the DevTools protocol (the app's CSP forbids the string evaluation waitForFunction would need).
    const progressNow = `(() => {
      const bar = document.querySelector('progress#upload-progress');
      const label = document.querySelector('label[for="upload-progress"]')?.textContent ?? '';
      return bar && label.startsWith('Uploading…') ? bar.value : -1;
    })()`;
    await expect
      .poll(
        async () => {
          const value = (await page.evaluate(progressNow)) as number;
          return value > 0 && value < 100;
        },
        { timeout: 20_000, interval: 50 },
      )
      .toBe(true);
    await screenshot(page, 'upload-progress');
    await page
      .getByText('Uploaded “Guidelines 2027.pdf”. It is being processed.')
      .waitFor({ timeout: 30_000 });
    await cdp.send('Network.emulateNetworkConditions', {
      offline: false,
      latency: 0,
      downloadThroughput: -1,
      uploadThroughput: -1,
    });

    // The list keeps polling until the worker has read the file.
    const row = page.locator('li.asset', { has: page.getByRole('link', { name: 'Guidelines 2027' }) });
    await row.getByText('Ready', { exact: true }).waitFor({ timeout: 60_000 });
    await expect(row.locator('.muted').textContent()).resolves.toMatch(/Brand guidelines · uploaded/);
    await expectAccessible(page, 'brand voice with an upload');
    await screenshot(page, 'upload-ready');

    await page.getByRole('link', { name: 'Guidelines 2027' }).click();
    await page.getByRole('heading', { name: 'Guidelines 2027', level: 1 }).waitFor();
    await expect(page.getByRole('region', { name: 'Text' }).textContent()).resolves.toContain(
      `Page 300 line 40: ${sentence}`,
    );
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: /Download the original/ }).click(),
    ]);
    expect(download.suggestedFilename()).toBe('Guidelines 2027.pdf');
    const saved = await download.path();
    expect(
      createHash('sha256')
        .update(await readFile(saved))
        .digest('hex'),
    ).toBe(createHash('sha256').update(file).digest('hex'));

    // The event feed: the connection and the ready document, newest first, in words.
    await page.getByRole('button', { name: /Notifications/ }).click();
    const feed = page.getByRole('region', { name: 'Notifications' });
    await feed.getByText('“Guidelines 2027” is ready.').waitFor();
    await feed.getByText('Google Drive was connected.').waitFor();
    const items = await feed.locator('li').allInnerTexts();
    expect(items.findIndex((t) => t.includes('is ready'))).toBeLessThan(
      items.findIndex((t) => t.includes('was connected')),
    );
    await expectAccessible(page, 'notifications with events');
    await screenshot(page, 'notifications');
    assertClean(problems);
    await context.close();
  });

  it('a provider revokes the grant: the card says why and offers Reconnect; reconnecting keeps the imports', async () => {
    const { context, page, problems } = await newContext(browser);
    await signUp(page, newUser());
    await connect(page, 'dropbox');
    await page.getByRole('link', { name: 'Browse files in Dropbox' }).click();
    await page.getByRole('button', { name: 'Import readme.txt' }).click();
    await page.getByText(/Imported “readme/).waitFor();

    control().revokeRefreshTokens('dropbox');
    control().expireAccessTokens('dropbox');
    await page.goto(`${stack.url}/files?provider=dropbox`);
    await page.getByText('This connection has to be reconnected before it can be used.').waitFor();
    await nav(page, 'Cloud storage').click();
    await card(page, 'dropbox').getByText('Needs reconnecting').waitFor();
    await card(page, 'dropbox')
      .getByText(/Access expired or was revoked/)
      .waitFor();
    await expectAccessible(page, 'settings needs reconnecting');
    await screenshot(page, 'revoked-needs-reconnect');

    await connect(page, 'dropbox', 'Reconnect');
    await nav(page, 'Brand voice').click();
    await page.getByRole('link', { name: /readme/ }).waitFor();
    await nav(page, 'Cloud storage').click();
    await page.getByRole('link', { name: 'Browse files in Dropbox' }).click();
    await page
      .getByRole('row', { name: /readme\.txt/ })
      .getByText('Imported')
      .waitFor();
    assertClean(problems);
    await context.close();
  });

  it('an admin must approve (AADSTS65001) and a Google app in testing mode: the cards say so in words', async () => {
    const { context, page, problems } = await newContext(browser);
    await signUp(page, newUser());
    await connect(page, 'onedrive');
    await connect(page, 'google_drive');

    // Microsoft answers the refresh with AADSTS65001: the organisation's admin has to consent first.
    control().failNextTokenCalls('onedrive', { kind: 'oauth_error', error: 'invalid_grant', aadsts: 65001 });
    control().expireAccessTokens('onedrive');
    await page.goto(`${stack.url}/files?provider=onedrive`);
    await page.getByText(/Your organisation’s admin must approve this app: send them the name/).waitFor();

    // Google's testing mode: refresh tokens die 7 days after issue; from day 6 the card warns.
    const token = JSON.parse((await page.evaluate(() => sessionStorage.getItem('brand-cloud.session')))!)
      .accessToken as string;
    const me = await stack.api<{ id: string }>('GET', '/auth/me', { token });
    await withClient(stack.db.ownerUrl, async (c) => {
      await c.query('begin');
      await c.query("select set_config('app.user_id', $1, true)", [me.body.id]);
      await c.query(
        `update user_cloud_storage_tokens
            set refresh_token_issued_at = now() - interval '6 days 1 hour', connected_at = now() - interval '6 days 1 hour'
          where user_id = $1 and provider = 'google_drive'`,
        [me.body.id],
      );
      await c.query('commit');
    });
    vi.stubEnv('GOOGLE_APP_TESTING_MODE', 'true');
    try {
      await nav(page, 'Cloud storage').click();
      await card(page, 'onedrive').getByText('Waiting for your admin').waitFor();
      await card(page, 'onedrive')
        .getByText(/Your organisation’s admin must approve this app/)
        .waitFor();
      await expect(
        card(page, 'onedrive')
          .getByRole('button', { name: /Reconnect/ })
          .count(),
      ).resolves.toBe(0);
      await card(page, 'google_drive').getByText('Connected', { exact: true }).waitFor();
      await card(page, 'google_drive')
        .getByText(/The Google app is in testing mode: this refresh token expires 7 days after it was issued/)
        .waitFor();
      await expectAccessible(page, 'settings with admin consent and a warning');
      await screenshot(page, 'admin-consent-and-warning');
    } finally {
      vi.unstubAllEnvs();
    }
    assertClean(problems);
    await context.close();
  });

  it('two users in two browser contexts never see each other’s data', async () => {
    const a = await newContext(browser);
    const b = await newContext(browser);
    await signUp(a.page, newUser());
    await signUp(b.page, newUser());
    await connect(a.page, 'google_drive');
    await a.page.getByRole('link', { name: 'Browse files in Google Drive' }).click();
    await a.page.getByRole('button', { name: 'Import readme.txt' }).click();
    await a.page.getByText(/Imported “readme/).waitFor();

    await b.page.reload();
    await card(b.page, 'google_drive').getByText('Not connected').waitFor();
    await expect(b.page.getByText(/Connected as/).count()).resolves.toBe(0);
    await nav(b.page, 'Brand voice').click();
    await b.page.getByText('No documents yet.').waitFor();
    // B cannot browse A's connection even by typing the address.
    await b.page.goto(`${stack.url}/files?provider=google_drive`);
    await b.page.getByText('That no longer exists.').waitFor();
    await nav(a.page, 'Brand voice').click();
    await a.page.getByRole('link', { name: /readme/ }).waitFor();
    assertClean(a.problems);
    assertClean(b.problems);
    await a.context.close();
    await b.context.close();
  });

  it('signs out, signs in, refreshes the session silently and works at phone width', async () => {
    const { context, page, problems } = await newContext(browser, { width: 360 });
    const user = newUser();
    await signUp(page, user);
    await expectNoHorizontalScroll(page);
    await screenshot(page, 'phone-settings');
    // The event feed as a bell list (a new account has nothing yet); Escape closes it.
    await page.getByRole('button', { name: /Notifications/ }).click();
    await page.getByRole('region', { name: 'Notifications' }).getByText('Nothing new.').waitFor();
    await expectAccessible(page, 'notifications');
    await page.keyboard.press('Escape');
    await expect.poll(() => page.getByRole('region', { name: 'Notifications' }).count()).toBe(0);

    // Silent refresh: a token about to expire is replaced without the person noticing.
    const before = await page.evaluate(() => sessionStorage.getItem('brand-cloud.session'));
    await page.evaluate(() => {
      const s = JSON.parse(sessionStorage.getItem('brand-cloud.session')!);
      sessionStorage.setItem('brand-cloud.session', JSON.stringify({ ...s, expiresAt: Date.now() + 61_000 }));
    });
    await page.reload();
    await expect
      .poll(
        async () =>
          JSON.parse((await page.evaluate(() => sessionStorage.getItem('brand-cloud.session')))!).accessToken,
        {
          timeout: 15_000,
        },
      )
      .not.toBe(JSON.parse(before!).accessToken);
    await page.getByRole('heading', { name: 'Cloud storage' }).waitFor();
    expect(await page.evaluate(() => localStorage.length)).toBe(0);

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
    await page.getByLabel('Email').fill(user.email);
    await page.getByLabel('Password').fill('Wrong-password-1!');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('Incorrect email or password.').waitFor();
    await expectAccessible(page, 'sign in error');
    await page.getByLabel('Password').fill(user.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Cloud storage' }).waitFor();
    await nav(page, 'Brand voice').click();
    await page.getByRole('heading', { name: 'Brand voice', level: 1 }).waitFor();
    await expectNoHorizontalScroll(page);
    await screenshot(page, 'phone-brand-voice');
    assertClean(problems);
    await context.close();
  });
});
