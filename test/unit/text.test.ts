import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { normaliseName, sanitiseName } from '#shared/text';

/** Characters that build emoji sequences and the invisible ones that must not hide a duplicate name. */
const PIECES = [
  'A',
  'c',
  ' ',
  '\u{1f469}',
  '\u{1f4bb}',
  '\u{1f3f3}',
  '\u{1f308}',
  '\u2764',
  '1',
  '\u20e3',
  '\u{1f3fd}',
  '\u{1f1fa}',
  '\u{1f1f8}',
  '\u{1f3f4}',
  '\u{e0067}',
  '\u{e0062}',
  '\u{e007f}',
  '\u200d',
  '\ufe0f',
  '\u200b',
  '\u2060',
  '\ufeff',
  '\u00ad',
  '\u202e',
];
const names = fc.array(fc.constantFrom(...PIECES), { maxLength: 24 }).map((parts) => parts.join(''));
const INVISIBLE_OUTSIDE_EMOJI = /[\p{Default_Ignorable_Code_Point}\p{Cf}]/gu;

describe('normaliseName', () => {
  it('is idempotent: a stored name normalises to itself', () => {
    fc.assert(fc.property(names, (name) => normaliseName(normaliseName(name)) === normaliseName(name)));
  });

  it('a zero-width space, word joiner, BOM or soft hyphen anywhere outside an emoji sequence is the same name', () => {
    fc.assert(
      fc.property(
        names,
        fc.nat(),
        fc.constantFrom('\u200b', '\u2060', '\ufeff', '\u00ad'),
        (raw, at, extra) => {
          const name = normaliseName(raw);
          // Where a character may go: any code point boundary not inside an emoji sequence (inside one it breaks
          // the sequence, which renders differently: 👩 U+200B U+200D 💻 shows two emoji, and is stored as two).
          const inside = new Set<number>();
          for (const m of name.matchAll(/\p{RGI_Emoji}/gv)) {
            for (let i = m.index + 1; i < m.index + m[0].length; i++) inside.add(i);
          }
          const boundaries = [...Array(name.length + 1).keys()].filter(
            (i) => !inside.has(i) && name.slice(0, i).isWellFormed(),
          );
          const cut = boundaries[at % boundaries.length]!;
          return normaliseName(name.slice(0, cut) + extra + name.slice(cut)) === name;
        },
      ),
    );
  });

  it('keeps format characters only inside complete emoji sequences', () => {
    fc.assert(
      fc.property(names, (name) => {
        const out = normaliseName(name);
        return out.replace(/\p{RGI_Emoji}/gv, '').match(INVISIBLE_OUTSIDE_EMOJI) === null;
      }),
    );
  });

  it.each([
    ['\u{1f469}\u200d\u{1f4bb}', '\u{1f469}\u200d\u{1f4bb}'],
    ['\u{1f468}\u200d\u{1f469}\u200d\u{1f467}', '\u{1f468}\u200d\u{1f469}\u200d\u{1f467}'],
    ['\u2764\ufe0f', '\u2764\ufe0f'],
    ['Acme\u200b', 'Acme'],
    ['Ac\u200dme', 'Acme'],
    ['Acme\ufe0f', 'Acme'],
    // A zero-width space breaks the sequence (it renders as two emoji), and is stored as the two emoji.
    ['\u{1f469}\u200b\u200d\u{1f4bb}', '\u{1f469}\u{1f4bb}'],
    ['\u{1f44d}\u200d\u{1f44d}', '\u{1f44d}\u{1f44d}'],
  ])('%j → %j', (input, expected) => {
    expect(normaliseName(input)).toBe(expected);
  });

  it('sanitiseName cuts to the length without leaving half an emoji sequence behind', () => {
    // 👩‍💻 is three code points; cutting after two leaves 👩 + U+200D, and the joiner goes.
    expect(sanitiseName('\u{1f469}\u200d\u{1f4bb}', 2)).toBe('\u{1f469}');
    expect(sanitiseName('Ann \u{1f469}\u200d\u{1f4bb}\u0000', 200)).toBe('Ann \u{1f469}\u200d\u{1f4bb}');
  });
});
