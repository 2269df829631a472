/**
 * Text rules shared by every field that ends up in a text column or is compared for uniqueness.
 *
 * Invisible characters: the Unicode default-ignorable code points (zero-width space and joiners, word
 * joiner, BOM, bidi controls, soft hyphen, variation selectors, Hangul fillers, tag characters) and every
 * other format character (Cf). "Acme" and "Acme" + U+200B render alike, so a name drops them (after NFC),
 * and the stored name, the one compared for uniqueness and the one shown are the same string.
 */
const INVISIBLE = /[\p{Default_Ignorable_Code_Point}\p{Cf}]/gu;

/** PostgreSQL text refuses NUL; a lone surrogate cannot be encoded as UTF-8. */
export const storable = (value: string): boolean => !value.includes('\u0000') && value.isWellFormed();

/** A name as stored and compared: NFC, without invisible or format characters, trimmed. */
export const normaliseName = (value: string): string => value.normalize('NFC').replace(INVISIBLE, '').trim();

/**
 * A name that came from outside our validation (Cognito attributes written by another client): made storable
 * rather than refused, so one bad attribute cannot lock its user out of every request.
 */
export function sanitiseName(value: string | undefined, maxLength: number): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point
  const cleaned = normaliseName((value ?? '').toWellFormed().replace(/[\u0000-\u001f\u007f-\u009f]/g, ' '));
  return Array.from(cleaned).slice(0, maxLength).join('').trim();
}
