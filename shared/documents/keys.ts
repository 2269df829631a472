import { isUuid } from '#shared/db/tenant';

/**
 * Object keys of the document store: `users/{userId}/assets/{assetId}`. The user id is the token's `sub`
 * (never a request value); the asset id is the row the object belongs to. The worker trusts nothing else about
 * an object than what parseObjectKey accepts: anything that is not exactly this shape is ignored.
 */
export const USERS_PREFIX = 'users/';

export const userPrefix = (userId: string): string => {
  if (!isUuid(userId)) throw new Error('Not a user id');
  return `${USERS_PREFIX}${userId.toLowerCase()}/`;
};

export const assetObjectKey = (userId: string, assetId: string): string => {
  if (!isUuid(assetId)) throw new Error('Not an asset id');
  return `${userPrefix(userId)}assets/${assetId.toLowerCase()}`;
};

const KEY =
  /^users\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\/assets\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;

export interface ParsedKey {
  userId: string;
  assetId: string;
}

/**
 * The owner and asset named by a key, or null. Event keys arrive URL-encoded (`+` for a space), so callers pass
 * the decoded key; lower-case only, no extra segments, no `..`, nothing before or after.
 */
export function parseObjectKey(key: string): ParsedKey | null {
  const match = KEY.exec(key);
  if (!match) return null;
  return { userId: match[1]!, assetId: match[2]! };
}

/** S3 event notifications URL-encode the key (spaces as `+`). */
export function decodeEventKey(raw: string): string | null {
  try {
    return decodeURIComponent(raw.replace(/\+/g, ' '));
  } catch {
    return null;
  }
}
