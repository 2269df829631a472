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

/**
 * The normalisation keeps what the user typed where the "invisible" characters are visible: the joiners and
 * variation selectors inside an emoji sequence (👩‍💻 is 👩 U+200D 💻; without the joiner it is two emoji).
 */
describe('emoji sequences keep their joiners, and still cannot hide a duplicate', () => {
  const emojiNames = [
    ['a profession (ZWJ)', '\u{1f469}\u200d\u{1f4bb} Devs'],
    ['a family (three ZWJ)', '\u{1f468}\u200d\u{1f469}\u200d\u{1f467}\u200d\u{1f466} Family Co'],
    ['a rainbow flag (VS16 + ZWJ)', '\u{1f3f3}\ufe0f\u200d\u{1f308} Pride'],
    ['emoji presentation (VS16)', '\u2764\ufe0f Brand'],
    ['a keycap', '1\ufe0f\u20e3 Studio'],
    [
      'a subdivision flag (tag characters)',
      '\u{1f3f4}\u{e0067}\u{e0062}\u{e0065}\u{e006e}\u{e0067}\u{e007f} Tea',
    ],
  ] as const;

  it.each(emojiNames)('a name with %s is stored exactly as typed', async (_, name) => {
    const userId = randomUUID();
    await insertUsers(db().appUrl, userId);
    const created = await call('competitors/create', { userId, body: { name } });
    expect(created.status).toBe(201);
    expect(created.body.name).toBe(name);
    const read = await call('competitors/get', { userId, params: { id: created.body.id } });
    expect(read.body.name).toBe(name);
    // The same name with a zero-width space (or a word joiner inside the emoji) is still the same name.
    for (const lookalike of [`${name}\u200b`, `\u2060${name}`, name.replace(' ', '\u200b ')]) {
      const again = await call('competitors/create', { userId, body: { name: lookalike } });
      expect(again.status, JSON.stringify(lookalike)).toBe(409);
    }
  });

  it('the emoji without its joiner is another name (two emoji, not one)', async () => {
    const userId = randomUUID();
    await insertUsers(db().appUrl, userId);
    const joined = await call('competitors/create', {
      userId,
      body: { name: '\u{1f469}\u200d\u{1f4bb} Devs' },
    });
    expect(joined.status).toBe(201);
    const apart = await call('competitors/create', { userId, body: { name: '\u{1f469}\u{1f4bb} Devs' } });
    expect(apart.status).toBe(201);
    expect(apart.body.name).toBe('\u{1f469}\u{1f4bb} Devs');
    // A joiner between emoji that form no sequence changes nothing visible: dropped, so it is that same name.
    const stray = await call('competitors/create', {
      userId,
      body: { name: '\u{1f469}\u200d\u200d\u{1f4bb} Devs' },
    });
    expect(stray.status).toBe(409);
    const renamed = await call('competitors/update', {
      userId,
      params: { id: apart.body.id },
      body: { name: '\u{1f469}\u200d\u{1f4bb} Devs\ufeff' },
    });
    expect(renamed.status).toBe(409);
  });

  it.each([
    ['content/create', { title: '\u{1f469}\u200d\u{1f680} Launch\u200b', contentType: 'blog_post' }, 'title'],
    [
      'brand-voice-assets/create',
      { title: '\u{1f9d1}\u200d\u{1f3a8} Voice', category: 'messaging', content: 'x' },
      'title',
    ],
  ])('%s keeps the emoji of its %s and drops the stray format character', async (key, body, field) => {
    const userId = randomUUID();
    await insertUsers(db().appUrl, userId);
    const response = await call(key, { userId, body });
    expect(response.status).toBe(201);
    expect(response.body[field]).toBe(
      key === 'content/create' ? '\u{1f469}\u200d\u{1f680} Launch' : '\u{1f9d1}\u200d\u{1f3a8} Voice',
    );
  });
});
