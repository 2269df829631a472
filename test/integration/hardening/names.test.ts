import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { insertUsers, useTestDatabase } from '../../support/db.ts';
import { call } from '../resources/helpers.ts';

/**
 * Finding 7 of the security review: names that differ only by invisible or format characters (or by Unicode
 * normalisation) are the same name, for every uniqueness check: stored normalised, so the unique index sees it.
 */
const db = useTestDatabase();

const lookalikes: Array<[string, string]> = [
  ['zero-width space', 'Acme\u200b'],
  ['zero-width joiner inside', 'Ac\u200dme'],
  ['zero-width non-joiner', '\u200cAcme'],
  ['word joiner', 'Acme\u2060'],
  ['byte order mark', '\ufeffAcme'],
  ['soft hyphen', 'Ac\u00adme'],
  ['bidi override', '\u202eAcme\u202c'],
  ['left-to-right mark', 'Acme\u200e'],
  ['variation selector', 'Acme\ufe0f'],
  ['tag characters', 'Acme\u{e0041}\u{e007f}'],
  ['Hangul filler', 'Acme\u3164'],
  ['upper case and a zero-width space', 'ACME\u200b'],
];

describe('competitor names (unique per user)', () => {
  it.each(lookalikes)('"Acme" and "Acme" with a %s are the same name → 409', async (_, lookalike) => {
    const userId = randomUUID();
    await insertUsers(db().appUrl, userId);
    expect((await call('competitors/create', { userId, body: { name: 'Acme' } })).status).toBe(201);
    const second = await call('competitors/create', { userId, body: { name: lookalike } });
    expect(second.status).toBe(409);
    const other = await call('competitors/create', { userId, body: { name: 'Other' } });
    const renamed = await call('competitors/update', {
      userId,
      params: { id: other.body.id },
      body: { name: lookalike },
    });
    expect(renamed.status).toBe(409);
  });

  it('composed and decomposed forms are the same name, stored in NFC', async () => {
    const userId = randomUUID();
    await insertUsers(db().appUrl, userId);
    const first = await call('competitors/create', { userId, body: { name: 'Caf\u00e9' } });
    expect(first.status).toBe(201);
    expect((await call('competitors/create', { userId, body: { name: 'Cafe\u0301' } })).status).toBe(409);
    const decomposedFirst = await call('competitors/create', { userId, body: { name: 'Ne\u0301e' } });
    expect(decomposedFirst.body.name).toBe('N\u00e9e');
  });

  it('a name made only of invisible characters is refused (400 naming it)', async () => {
    const userId = randomUUID();
    await insertUsers(db().appUrl, userId);
    const response = await call('competitors/create', { userId, body: { name: '\u200b\u2060 \ufeff' } });
    expect(response.status).toBe(400);
    expect(response.body.errors[0].path).toBe('name');
  });
});

describe('every name and title is normalised the same way', () => {
  it.each([
    ['content/create', { title: 'Post\u200b', contentType: 'blog_post' }, 'title'],
    ['brand-voice-assets/create', { title: '\ufeffGuide', category: 'messaging', content: 'x' }, 'title'],
  ])('%s stores its %s without invisible characters', async (key, body, field) => {
    const userId = randomUUID();
    await insertUsers(db().appUrl, userId);
    const response = await call(key, { userId, body });
    expect(response.status).toBe(201);
    expect(response.body[field]).toBe(key === 'content/create' ? 'Post' : 'Guide');
  });
});
