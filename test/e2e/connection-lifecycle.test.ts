import { describe, expect, it } from 'vitest';
import { connectProvider } from '../support/connect.ts';
import { withClient } from '../support/db.ts';
import { useTestStack } from '../support/stack.ts';

interface Connection {
  id: string;
  provider: string;
  status: string;
  health: { reason: string | null; consecutiveFailures: number; warnings: unknown[] };
}
interface EventItem {
  id: string;
  type: string;
  subject: { type: string; id: string };
  data: Record<string, unknown>;
}

/**
 * A connection's life through the API (issue 17): connected → needs_reauth (the provider refused the grant) →
 * reconnected with the same id (linked imports stay linked, failure state cleared) → disconnected; each
 * transition one event in GET /events, in order. Google's prompt=consent only when no refresh token is held.
 */
describe('connection lifecycle and events', () => {
  const stack = useTestStack();

  it('reconnect after needs_reauth keeps the id and the imports; events in order; prompt=consent only without a refresh token', async () => {
    const s = stack();
    const user = await s.createUser();
    const control = s.sandbox!.control;
    const connections = async () =>
      (
        await s.api<{ connections: Connection[] }>('GET', '/cloud-storage/connections', {
          token: user.accessToken,
        })
      ).body.connections;
    const connectUrl = async () =>
      new URL(
        (
          await s.api<{ authorizationUrl: string }>('GET', '/cloud-storage/connect/google_drive', {
            token: user.accessToken,
          })
        ).body.authorizationUrl,
      );

    expect((await connectUrl()).searchParams.get('prompt')).toBe('consent');
    await connectProvider(s, user, 'google_drive');
    const [first] = await connections();
    expect(first).toMatchObject({ provider: 'google_drive', status: 'active', health: { reason: null } });
    // A refresh token is held: a reconnect does not force consent (Google keeps 100 per account and client).
    expect((await connectUrl()).searchParams.get('prompt')).toBeNull();
    expect((await connectUrl()).searchParams.get('access_type')).toBe('offline');

    // An imported document linked to this connection's provider.
    const assetId = await withClient(s.db.appUrl, async (c) => {
      await c.query('begin');
      await c.query("select set_config('app.user_id', $1, true)", [user.userId]);
      const { rows } = await c.query<{ id: string }>(
        `insert into brand_voice_assets (user_id, title, category, content, source, source_file_id)
         values ($1, 'Guide', 'brand_guidelines', 'text', 'google_drive', 'file-1') returning id`,
        [user.userId],
      );
      await c.query('commit');
      return rows[0]!.id;
    });

    // The grant dies: refresh on use gets invalid_grant → 409, needs_reauth.
    await withClient(s.db.appUrl, async (c) => {
      await c.query('begin');
      await c.query("select set_config('app.user_id', $1, true)", [user.userId]);
      await c.query(
        "update user_cloud_storage_tokens set token_expires_at = now() where provider = 'google_drive'",
      );
      await c.query('commit');
    });
    control.failNextTokenCalls('google_drive', { kind: 'oauth_error', error: 'invalid_grant' });
    const listed = await s.api('GET', '/cloud-storage/google_drive/files', {
      token: user.accessToken,
    });
    expect(listed.status).toBe(409);
    const [dead] = await connections();
    expect(dead).toMatchObject({
      id: first!.id,
      status: 'needs_reauth',
      health: { reason: 'invalid_grant' },
    });
    expect((await connectUrl()).searchParams.get('prompt')).toBe('consent');

    await connectProvider(s, user, 'google_drive');
    const [again] = await connections();
    expect(again).toMatchObject({
      id: first!.id,
      status: 'active',
      health: { reason: null, consecutiveFailures: 0 },
    });
    const asset = await s.api<{ id: string; source: string }>('GET', `/brand-voice-assets/${assetId}`, {
      token: user.accessToken,
    });
    expect(asset.status).toBe(200);
    expect(asset.body.source).toBe('google_drive');

    expect(
      (await s.api('DELETE', '/cloud-storage/connections/google_drive', { token: user.accessToken })).status,
    ).toBe(204);

    // Events appear once every older transaction has finished: poll briefly.
    let items: EventItem[] = [];
    for (let i = 0; i < 50 && items.length < 4; i += 1) {
      items = (await s.api<{ items: EventItem[] }>('GET', '/events?limit=100', { token: user.accessToken }))
        .body.items;
      if (items.length < 4) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(items.map((e) => e.type)).toEqual([
      'cloud_storage.connected',
      'cloud_storage.needs_reauth',
      'cloud_storage.reconnected',
      'cloud_storage.disconnected',
    ]);
    expect(new Set(items.map((e) => e.subject.id))).toEqual(new Set([first!.id]));
    expect(items[2]!.data).toMatchObject({
      provider: 'google_drive',
      previousStatus: 'needs_reauth',
      previousReason: 'invalid_grant',
    });
    // Never a token or provider text in an event.
    expect(JSON.stringify(items)).not.toMatch(/expired or revoked|ya29|refresh_token/i);
  });
});
