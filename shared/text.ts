/**
 * Text rules shared by every field that ends up in a text column or is compared for uniqueness.
 *
 * Invisible characters: the Unicode default-ignorable code points (zero-width space and joiners, word
 * joiner, BOM, bidi controls, soft hyphen, variation selectors, Hangul fillers, tag characters) and every
 * other format character (Cf). "Acme" and "Acme" + U+200B render alike, so a name drops them (after NFC),
 * and the stored name, the one compared for uniqueness and the one shown are the same string.
 *
 * Except inside an emoji: U+200D joins 👩 and 💻 into 👩‍💻 (a ZWJ sequence), U+FE0F asks for ❤️ rather than ❤,
 * tag characters spell the flag of England. Inside a complete emoji sequence (Unicode's RGI set, `\p{RGI_Emoji}`)
 * these characters are what the user sees, so they stay; anywhere else (between two emoji that do not form a
 * sequence, after a letter) they change nothing visible and are dropped like the rest.
 */
const INVISIBLE = /[\p{Default_Ignorable_Code_Point}\p{Cf}]/gu;
const HAS_INVISIBLE = new RegExp(INVISIBLE.source, 'u'); // the same class, for a stateless test
// Compiled on first use, not at import: `\p{RGI_Emoji}` (a property of strings, thousands of sequences) was the
// costliest expression a data route's bundle evaluated at init, and only a name with an invisible character needs it.
let emojiSequence: RegExp | undefined;

/** PostgreSQL text refuses NUL; a lone surrogate cannot be encoded as UTF-8. */
export const storable = (value: string): boolean => !value.includes('\u0000') && value.isWellFormed();

/** A name as stored and compared: NFC, without invisible or format characters outside emoji, trimmed. */
export function normaliseName(value: string): string {
  const nfc = value.normalize('NFC');
  if (!HAS_INVISIBLE.test(nfc)) return nfc.trim();
  emojiSequence ??= /\p{RGI_Emoji}/gv;
  let out = '';
  let from = 0;
  for (const match of nfc.matchAll(emojiSequence)) {
    out += nfc.slice(from, match.index).replace(INVISIBLE, '') + match[0];
    from = match.index + match[0].length;
  }
  return (out + nfc.slice(from).replace(INVISIBLE, '')).trim();
}

/**
 * A name that came from outside our validation (Cognito attributes written by another client): made storable
 * rather than refused, so one bad attribute cannot lock its user out of every request.
 */
export function sanitiseName(value: string | undefined, maxLength: number): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point
  const cleaned = normaliseName((value ?? '').toWellFormed().replace(/[\u0000-\u001f\u007f-\u009f]/g, ' '));
  // Normalised again after cutting: the cut may split an emoji sequence and leave a joiner at the end.
  return normaliseName(Array.from(cleaned).slice(0, maxLength).join(''));
}
