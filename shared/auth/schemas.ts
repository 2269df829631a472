import * as z from 'zod/mini';
import { cloudConnection } from '#shared/cloud-storage/schemas';
import { meta } from '#shared/schema-meta';
import { normaliseName, storable } from '#shared/text';

const email = z.pipe(
  z.email().check(z.maxLength(320)),
  z.transform((v: string) => v.trim().toLowerCase()),
);

const STORABLE = 'Must be valid Unicode text without NUL characters';

/**
 * Every field is checked here, before the first call to Cognito: a value the users table cannot hold must be a
 * 400 before a sign-up exists, not a failed insert after it. Names are normalised like every other name.
 */
const displayName = (min: number) =>
  z.pipe(
    z.pipe(
      meta(z.string(), { minLength: min, maxLength: 200 }).check(z.refine(storable, STORABLE)),
      z.transform(normaliseName),
    ),
    z.string().check(z.minLength(min, 'Must contain a visible character'), z.maxLength(200)),
  );

export const registerBody = z.strictObject({
  email,
  // The policy itself is checked by the service so the 400 names the rule that was broken.
  password: z.string().check(z.minLength(1), z.maxLength(256), z.refine(storable, STORABLE)),
  name: displayName(1),
  organizationName: z.optional(z.nullable(displayName(0))),
});
export const registerResponse = z.object({
  userId: z.uuid(),
  email: z.string(),
  confirmationRequired: z.boolean(),
});

export const confirmBody = z.strictObject({
  email,
  code: z.string().check(z.minLength(1), z.maxLength(64)),
});

export const loginBody = z.strictObject({
  email,
  password: z.string().check(z.minLength(1), z.maxLength(256)),
});
export const loginResponse = z.object({
  accessToken: z.string(),
  idToken: z.string(),
  refreshToken: z.string(),
  expiresIn: z.number().check(z.int()),
  tokenType: z.literal('Bearer'),
});

export const refreshBody = z.strictObject({
  refreshToken: z.string().check(z.minLength(1), z.maxLength(8192)),
});
export const refreshResponse = z.omit(loginResponse, { refreshToken: true });

export const meResponse = z.object({
  id: z.uuid(),
  email: z.string(),
  name: z.string(),
  organizationName: z.nullable(z.string()),
  createdAt: z.string(),
  connections: z.array(cloudConnection),
});

export type RegisterBody = z.output<typeof registerBody>;
export type LoginBody = z.output<typeof loginBody>;
