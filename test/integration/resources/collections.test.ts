import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { listAuditEvents } from '#shared/resources/audit-log/service';
import { deleteBrandVoiceAsset } from '#shared/resources/brand-voice-assets/delete';
import { brandVoiceAsset } from '#shared/resources/brand-voice-assets/schemas';
import {
  createBrandVoiceAsset,
  getBrandVoiceAsset,
  listBrandVoiceAssets,
  updateBrandVoiceAsset,
} from '#shared/resources/brand-voice-assets/service';
import { competitor } from '#shared/resources/competitors/schemas';
import {
  createCompetitor,
  deleteCompetitor,
  getCompetitor,
  listCompetitors,
  updateCompetitor,
} from '#shared/resources/competitors/service';
import { contentItem } from '#shared/resources/content/schemas';
import {
  createContent,
  deleteContent,
  getContent,
  listContent,
  updateContent,
} from '#shared/resources/content/service';
import { calendarEntry } from '#shared/resources/content-calendar/schemas';
import {
  createCalendarEntry,
  deleteCalendarEntry,
  getCalendarEntry,
  listCalendarEntries,
  updateCalendarEntry,
} from '#shared/resources/content-calendar/service';
import { publishedPost } from '#shared/resources/published-posts/schemas';
import {
  createPublishedPost,
  deletePublishedPost,
  getPublishedPost,
  listPublishedPosts,
  updatePublishedPost,
} from '#shared/resources/published-posts/service';
import { insertUsers, useTestDatabase } from '../../support/db.ts';
import { asSuperuser, call } from './helpers.ts';

const db = useTestDatabase();
const alice = randomUUID();
const bob = randomUUID();
const firstPage = { limit: 50 };

beforeAll(async () => {
  await insertUsers(db().appUrl, alice, bob);
});

async function auditRows(userId: string) {
  return asSuperuser<{
    action: string;
    resource_type: string;
    resource_id: string;
    metadata: Record<string, unknown>;
  }>(
    db().name,
    'select action, resource_type, resource_id, metadata from audit_log where user_id = $1 order by created_at, id',
    [userId],
  );
}

const problem = (status: number, paths?: string[]) =>
  expect.objectContaining({
    status,
    ...(paths ? { errors: paths.map((path) => expect.objectContaining({ path })) } : {}),
  });

describe('competitors', () => {
  it('creates with defaults, reads, lists, patches and deletes, auditing each mutation', async () => {
    const user = randomUUID();
    await insertUsers(db().appUrl, user);
    const created = await createCompetitor(user, { name: 'Acme' });
    expect(competitor().parse(created)).toEqual({
      id: expect.any(String),
      name: 'Acme',
      website: null,
      description: null,
      strengths: [],
      weaknesses: [],
      notes: null,
      createdAt: expect.any(String),
      updatedAt: created.createdAt,
    });
    expect(await getCompetitor(user, created.id)).toEqual(created);
    expect((await listCompetitors(user, firstPage)).items).toEqual([created]);

    const updated = await updateCompetitor(user, created.id, {
      website: 'https://acme.example',
      strengths: ['x'],
    });
    expect(updated).toMatchObject({
      id: created.id,
      name: 'Acme',
      website: 'https://acme.example',
      strengths: ['x'],
    });
    expect(Date.parse(updated.updatedAt)).toBeGreaterThanOrEqual(Date.parse(created.updatedAt));
    expect(updated.createdAt).toBe(created.createdAt);

    const cleared = await updateCompetitor(user, created.id, { website: null });
    expect(cleared.website).toBeNull();

    await deleteCompetitor(user, created.id);
    await expect(getCompetitor(user, created.id)).rejects.toEqual(problem(404));
    await expect(deleteCompetitor(user, created.id)).rejects.toEqual(problem(404));
    await expect(updateCompetitor(user, created.id, { notes: 'x' })).rejects.toEqual(problem(404));

    expect(await auditRows(user)).toEqual([
      {
        action: 'competitor.created',
        resource_type: 'competitor',
        resource_id: created.id,
        metadata: { fields: ['name'] },
      },
      {
        action: 'competitor.updated',
        resource_type: 'competitor',
        resource_id: created.id,
        metadata: { fields: ['website', 'strengths'] },
      },
      {
        action: 'competitor.updated',
        resource_type: 'competitor',
        resource_id: created.id,
        metadata: { fields: ['website'] },
      },
      { action: 'competitor.deleted', resource_type: 'competitor', resource_id: created.id, metadata: {} },
    ]);
  });

  it('keeps names unique per user, case-insensitively, while two users may share one', async () => {
    const first = await createCompetitor(alice, { name: 'Globex' });
    await expect(createCompetitor(alice, { name: 'gLOBEX' })).rejects.toEqual(problem(409, ['name']));
    const other = await createCompetitor(alice, { name: 'Initech' });
    await expect(updateCompetitor(alice, other.id, { name: 'GLOBEX' })).rejects.toEqual(
      problem(409, ['name']),
    );
    // Renaming a competitor to a different case of its own name is not a conflict.
    expect((await updateCompetitor(alice, first.id, { name: 'GLOBEX' })).name).toBe('GLOBEX');
    expect((await createCompetitor(bob, { name: 'globex' })).name).toBe('globex');
  });

  it('writes no audit row when the mutation fails', async () => {
    const user = randomUUID();
    await insertUsers(db().appUrl, user);
    await createCompetitor(user, { name: 'Hooli' });
    const before = await auditRows(user);
    await expect(createCompetitor(user, { name: 'HOOLI' })).rejects.toEqual(problem(409));
    expect(await auditRows(user)).toEqual(before);
    expect(await asSuperuser(db().name, 'select 1 from competitors where user_id = $1', [user])).toHaveLength(
      1,
    );
  });
});

describe('brand voice assets', () => {
  it('does CRUD on pasted text: ready at once, words counted, no file; filters by category and status', async () => {
    const user = randomUUID();
    await insertUsers(db().appUrl, user);
    const guide = await createBrandVoiceAsset(user, {
      title: 'Guide',
      category: 'brand_guidelines',
      content: 'Be bold.',
    });
    expect(brandVoiceAsset().parse(guide)).toMatchObject({
      title: 'Guide',
      category: 'brand_guidelines',
      content: 'Be bold.',
      status: 'ready',
      failure: null,
      file: null,
      source: 'upload',
      sourceFileId: null,
      sourceRevision: null,
      wordCount: 2,
    });
    const message = await createBrandVoiceAsset(user, {
      title: 'Messaging',
      category: 'messaging',
      content: 'Hello there, friend',
    });
    expect(message.wordCount).toBe(3);
    expect(
      (await listBrandVoiceAssets(user, { limit: 50, category: 'messaging' })).items.map((a) => a.id),
    ).toEqual([message.id]);
    expect((await listBrandVoiceAssets(user, { limit: 50 })).items.map((a) => a.id)).toEqual([
      message.id,
      guide.id,
    ]);
    expect((await listBrandVoiceAssets(user, { limit: 50, status: 'ready' })).items).toHaveLength(2);
    expect((await listBrandVoiceAssets(user, { limit: 50, status: 'failed' })).items).toHaveLength(0);

    const patched = await updateBrandVoiceAsset(user, guide.id, { category: 'tone_of_voice', title: 'Tone' });
    expect(patched).toMatchObject({
      category: 'tone_of_voice',
      title: 'Tone',
      source: 'upload',
      content: 'Be bold.',
    });
    expect(await getBrandVoiceAsset(user, guide.id)).toEqual(patched);
    await deleteBrandVoiceAsset(user, guide.id);
    await expect(getBrandVoiceAsset(user, guide.id)).rejects.toEqual(problem(404));

    const actions = (await auditRows(user)).map((r) => [r.action, r.metadata]);
    const created = {
      fields: ['title', 'category', 'content', 'status', 'wordCount', 'source'],
      source: 'upload',
    };
    expect(actions).toEqual([
      ['brand_voice_asset.created', created],
      ['brand_voice_asset.created', created],
      ['brand_voice_asset.updated', { fields: ['title', 'category'] }],
      ['brand_voice_asset.deleted', {}],
    ]);
  });

  it('stores pasted content of exactly 5 MiB', async () => {
    const asset = await createBrandVoiceAsset(alice, {
      title: 'Big',
      category: 'other',
      content: 'é'.repeat(2.5 * 1024 * 1024),
    });
    expect((await getBrandVoiceAsset(alice, asset.id)).content).toHaveLength(2.5 * 1024 * 1024);
  });
});

describe('content', () => {
  it('does CRUD with defaults and filters by status and content type', async () => {
    const user = randomUUID();
    await insertUsers(db().appUrl, user);
    const draft = await createContent(user, { title: 'Launch', contentType: 'blog_post' });
    expect(contentItem().parse(draft)).toMatchObject({
      title: 'Launch',
      body: '',
      status: 'draft',
      tags: [],
    });
    const email = await createContent(user, {
      title: 'Mail',
      contentType: 'email',
      status: 'approved',
      tags: ['q3'],
    });
    const list = (query: Parameters<typeof listContent>[1]) =>
      listContent(user, query).then((p) => p.items.map((c) => c.id));
    expect(await list({ limit: 50, status: 'draft' })).toEqual([draft.id]);
    expect(await list({ limit: 50, contentType: 'email' })).toEqual([email.id]);
    expect(await list({ limit: 50, status: 'draft', contentType: 'email' })).toEqual([]);
    expect(await list({ limit: 50 })).toEqual([email.id, draft.id]);

    const reviewed = await updateContent(user, draft.id, { status: 'in_review', body: 'Text' });
    expect(reviewed).toMatchObject({ status: 'in_review', body: 'Text', title: 'Launch' });
    expect(await getContent(user, draft.id)).toEqual(reviewed);
    await deleteContent(user, email.id);
    expect(await list({ limit: 50 })).toEqual([draft.id]);
    expect((await auditRows(user)).map((r) => r.action)).toEqual([
      'content.created',
      'content.created',
      'content.updated',
      'content.deleted',
    ]);
  });
});

describe('content calendar', () => {
  it('does CRUD, filters on scheduledFor and refuses content the caller does not own (422 by composite key)', async () => {
    const user = randomUUID();
    await insertUsers(db().appUrl, user);
    const mine = await createContent(user, { title: 'Mine', contentType: 'social_post' });
    const theirs = await createContent(bob, { title: 'Theirs', contentType: 'social_post' });

    const jan = await createCalendarEntry(user, {
      contentId: mine.id,
      channel: 'linkedin',
      scheduledFor: '2030-01-15T10:00:00+02:00',
    });
    expect(calendarEntry().parse(jan)).toMatchObject({
      contentId: mine.id,
      channel: 'linkedin',
      scheduledFor: '2030-01-15T08:00:00.000Z',
      status: 'scheduled',
      notes: null,
    });
    const feb = await createCalendarEntry(user, {
      contentId: mine.id,
      channel: 'blog',
      scheduledFor: '2030-02-15T08:00:00Z',
      notes: 'n',
    });
    const ids = (query: Parameters<typeof listCalendarEntries>[1]) =>
      listCalendarEntries(user, query).then((p) => p.items.map((e) => e.id));
    expect(await ids({ limit: 50, from: '2030-02-01T00:00:00Z' })).toEqual([feb.id]);
    expect(await ids({ limit: 50, to: '2030-02-01T00:00:00Z' })).toEqual([jan.id]);
    expect(await ids({ limit: 50, from: '2030-01-15T08:00:00Z', to: '2030-02-15T08:00:00Z' })).toEqual([
      feb.id,
      jan.id,
    ]);

    const before = await auditRows(user);
    await expect(
      createCalendarEntry(user, {
        contentId: theirs.id,
        channel: 'email',
        scheduledFor: '2030-01-01T00:00:00Z',
      }),
    ).rejects.toEqual(problem(422, ['contentId']));
    await expect(
      createCalendarEntry(user, {
        contentId: randomUUID(),
        channel: 'email',
        scheduledFor: '2030-01-01T00:00:00Z',
      }),
    ).rejects.toEqual(problem(422, ['contentId']));
    await expect(updateCalendarEntry(user, jan.id, { contentId: theirs.id })).rejects.toEqual(
      problem(422, ['contentId']),
    );
    // Any id PostgreSQL reads as a uuid is an id (not only RFC 9562 v1-8): unknown → 422, not 400.
    const nonRfc = '11111111-1111-1111-1111-111111111111';
    const viaHandler = await call('content-calendar/create', {
      userId: user,
      body: { contentId: nonRfc, channel: 'email', scheduledFor: '2030-01-01T00:00:00Z' },
    });
    expect(viaHandler).toMatchObject({
      status: 422,
      body: { errors: [{ path: 'contentId', message: 'Unknown reference' }] },
    });
    expect((await call('content-calendar/get', { userId: user, params: { id: nonRfc } })).status).toBe(404);
    // 404 wins over 422: a missing entry with a bad reference is simply not found.
    await expect(updateCalendarEntry(user, randomUUID(), { contentId: theirs.id })).rejects.toEqual(
      problem(404),
    );
    expect(await auditRows(user)).toEqual(before);

    const moved = await updateCalendarEntry(user, jan.id, {
      status: 'published',
      scheduledFor: '2030-01-20T00:00:00Z',
    });
    expect(moved).toMatchObject({ status: 'published', scheduledFor: '2030-01-20T00:00:00.000Z' });
    expect(await getCalendarEntry(user, jan.id)).toEqual(moved);
    await deleteCalendarEntry(user, feb.id);
    await expect(getCalendarEntry(user, feb.id)).rejects.toEqual(problem(404));
    const created = (await auditRows(user)).filter((r) => r.action === 'content_calendar_entry.created');
    expect(created.map((r) => r.metadata.contentId)).toEqual([mine.id, mine.id]);
  });

  it('the composite foreign key itself refuses another tenant’s content, even without the up-front check', async () => {
    const theirs = await createContent(bob, { title: 'Theirs', contentType: 'ad' });
    const sql = `insert into content_calendar (user_id, content_id, channel, scheduled_for) values ($1, $2, 'other', now())`;
    await expect(asSuperuser(db().name, sql, [alice, theirs.id])).rejects.toMatchObject({
      code: '23503',
      constraint: 'content_calendar_content_fk',
    });
  });
});

describe('published posts', () => {
  it('does CRUD and names every reference the caller does not own', async () => {
    const user = randomUUID();
    await insertUsers(db().appUrl, user);
    const content = await createContent(user, { title: 'C', contentType: 'blog_post' });
    const entry = await createCalendarEntry(user, {
      contentId: content.id,
      channel: 'blog',
      scheduledFor: '2031-01-01T00:00:00Z',
    });
    const post = await createPublishedPost(user, {
      contentId: content.id,
      calendarEntryId: entry.id,
      channel: 'blog',
      url: 'https://blog.example/post',
      publishedAt: '2031-01-01T00:00:05.250Z',
      metrics: { views: 10, nested: { ok: [1, 'two', null] } },
    });
    expect(publishedPost().parse(post)).toMatchObject({
      contentId: content.id,
      calendarEntryId: entry.id,
      publishedAt: '2031-01-01T00:00:05.250Z',
      metrics: { views: 10, nested: { ok: [1, 'two', null] } },
    });
    const bare = await createPublishedPost(user, { channel: 'other', publishedAt: '2031-02-01T00:00:00Z' });
    expect(bare).toMatchObject({ contentId: null, calendarEntryId: null, url: null, metrics: {} });

    const bobContent = await createContent(bob, { title: 'B', contentType: 'blog_post' });
    const bobEntry = await createCalendarEntry(bob, {
      contentId: bobContent.id,
      channel: 'blog',
      scheduledFor: '2031-01-01T00:00:00Z',
    });
    const before = await auditRows(user);
    await expect(
      createPublishedPost(user, {
        channel: 'blog',
        publishedAt: '2031-01-01T00:00:00Z',
        contentId: bobContent.id,
        calendarEntryId: bobEntry.id,
      }),
    ).rejects.toEqual(problem(422, ['contentId', 'calendarEntryId']));
    await expect(updatePublishedPost(user, post.id, { calendarEntryId: bobEntry.id })).rejects.toEqual(
      problem(422, ['calendarEntryId']),
    );
    expect(await auditRows(user)).toEqual(before);

    const patched = await updatePublishedPost(user, post.id, { metrics: { views: 11 }, url: null });
    expect(patched).toMatchObject({ metrics: { views: 11 }, url: null, contentId: content.id });
    expect(await getPublishedPost(user, post.id)).toEqual(patched);
    expect((await listPublishedPosts(user, { limit: 50 })).items.map((p) => p.id)).toEqual([
      bare.id,
      post.id,
    ]);

    // Deleting referenced content removes its calendar entries and clears the post's references.
    await deleteContent(user, content.id);
    expect(await getPublishedPost(user, post.id)).toMatchObject({ contentId: null, calendarEntryId: null });
    await deletePublishedPost(user, post.id);
    await expect(getPublishedPost(user, post.id)).rejects.toEqual(problem(404));
    const created = (await auditRows(user)).filter((r) => r.action === 'published_post.created');
    expect(created[0]!.metadata).toEqual({
      fields: ['contentId', 'calendarEntryId', 'channel', 'url', 'publishedAt', 'metrics'],
      contentId: content.id,
      calendarEntryId: entry.id,
    });
  });
});

describe('audit log', () => {
  it('lists only the caller’s events, newest first, with ids and field names but no contents', async () => {
    const user = randomUUID();
    await insertUsers(db().appUrl, user);
    const c = await createCompetitor(user, { name: 'Secret Corp', notes: 'very secret note' });
    await updateCompetitor(user, c.id, { description: 'classified' });
    const events = await listAuditEvents(user, { limit: 50 });
    expect(events.items.map((e) => e.action)).toEqual(['competitor.updated', 'competitor.created']);
    expect(events.items[0]).toEqual({
      id: expect.any(String),
      action: 'competitor.updated',
      resourceType: 'competitor',
      resourceId: c.id,
      metadata: { fields: ['description'] },
      createdAt: expect.any(String),
    });
    const text = JSON.stringify(events);
    for (const secret of ['Secret Corp', 'very secret note', 'classified'])
      expect(text).not.toContain(secret);
    expect((await listAuditEvents(bob, { limit: 100 })).items.every((e) => e.resourceId !== c.id)).toBe(true);
  });
});
