/**
 * `PROVIDERS=sandbox npm start` restarted: the sandbox remembers the tokens it issued (connections stay
 * connected) and keeps its certificate authority (trusted once), both under `.local/sandbox/`.
 */
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '#local/sandbox/index';

const dir = mkdtempSync(path.join(os.tmpdir(), 'brand-sandbox-state-'));
const running: Sandbox[] = [];

afterAll(async () => {
  for (const s of running) await s.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function start(): Promise<Sandbox> {
  const sandbox = await startSandbox({ stateDir: dir });
  running.push(sandbox);
  return sandbox;
}

/** A token-endpoint call over https that trusts only the given CA (as a machine that trusted it once). */
function refresh(sandbox: Sandbox, caPem: string, refreshToken: string) {
  const client = sandbox.clients.google_drive;
  const body = new URLSearchParams({
    grant_type: 'refresh_token',
    refresh_token: refreshToken,
    client_id: client.clientId,
    client_secret: client.clientSecret,
  }).toString();
  return new Promise<{ status: number; json: { access_token?: string } }>((resolve, reject) => {
    const req = https.request(
      sandbox.endpoints.google_drive.tokenUrl,
      { method: 'POST', ca: caPem, headers: { 'content-type': 'application/x-www-form-urlencoded' } },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => {
          text += c.toString();
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(text) }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** Starts sandboxes on the directory until one knows the token (the write follows the request by ~100 ms). */
async function pollUntilKnown(accessToken: string): Promise<Sandbox> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const sandbox = await startSandbox({ stateDir: dir });
    if (sandbox.control.tokenStatus('google_drive', accessToken) === 'active' || Date.now() > deadline) {
      running.push(sandbox);
      return sandbox;
    }
    await sandbox.stop();
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('sandbox state across restarts', () => {
  it('keeps issued tokens and its CA; the key is readable by the owner only', async () => {
    const first = await start();
    const issued = first.control.issueTokens('google_drive');
    const caPem = first.caPem;
    await first.stop();
    running.pop();

    const second = await start();
    expect(second.caPem).toBe(caPem);
    expect(statSync(path.join(dir, 'ca-key.pem')).mode & 0o077).toBe(0);
    expect(new X509Certificate(caPem).ca).toBe(true);
    expect(second.control.tokenStatus('google_drive', issued.accessToken)).toBe('active');
    expect(second.control.tokenStatus('google_drive', issued.refreshToken!)).toBe('active');

    // The new server certificate chains to the CA trusted before the restart; the old refresh token works.
    const refreshed = await refresh(second, caPem, issued.refreshToken!);
    expect(refreshed.status).toBe(200);
    expect(refreshed.json.access_token).toBeTruthy();

    // Written shortly after the request, so a kill -9 a moment later keeps it: a third sandbox (the second never
    // stopped) knows it.
    const third = await pollUntilKnown(refreshed.json.access_token!);
    expect(third.control.tokenStatus('google_drive', refreshed.json.access_token!)).toBe('active');
  });

  it('a sandbox without a state directory still forgets everything (tests, benches)', async () => {
    const a = await startSandbox();
    const issued = a.control.issueTokens('dropbox');
    const caA = a.caPem;
    await a.stop();
    const b = await startSandbox();
    try {
      expect(b.caPem).not.toBe(caA);
      expect(b.control.tokenStatus('dropbox', issued.accessToken)).toBe('unknown');
    } finally {
      await b.stop();
    }
  });
});
