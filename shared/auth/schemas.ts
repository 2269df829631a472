import * as z from 'zod';
import { cloudConnection } from '#shared/cloud-storage/schemas';
import { normaliseName, storable } from '#shared/text';

const email = z
  .email()
  .max(320)
  .transform((v) => v.trim().toLowerCase());

const STORABLE = 'Must be valid Unicode text without NUL characters';

/**
 * Every field is checked here, before the first call to Cognito: a value the users table cannot hold must be a
 * 400 before a sign-up exists, not a failed insert after it. Names are normalised like every other name.
 */
const displayName = (min: number) =>
  z
    .string()
    .meta({ minLength: min, maxLength: 200 })
    .refine(storable, STORABLE)
    .transform(normaliseName)
    .pipe(z.string().min(min, 'Must contain a visible character').max(200));

export const registerBody = z.strictObject({
  email,
  // The policy itself is checked by the service so the 400 names the rule that was broken.
  password: z.string().min(1).max(256).refine(storable, STORABLE),
  name: displayName(1),
  organizationName: displayName(0).nullable().optional(),
});
export const registerResponse = z.object({
  userId: z.uuid(),
  email: z.string(),
  confirmationRequired: z.boolean(),
});

export const confirmBody = z.strictObject({ email, code: z.string().min(1).max(64) });

export const loginBody = z.strictObject({ email, password: z.string().min(1).max(256) });
export const loginResponse = z.object({
  accessToken: z.string(),
  idToken: z.string(),
  refreshToken: z.string(),
  expiresIn: z.number().int(),
  tokenType: z.literal('Bearer'),
});

export const refreshBody = z.strictObject({ refreshToken: z.string().min(1).max(8192) });
export const refreshResponse = loginResponse.omit({ refreshToken: true });

export const meResponse = z.object({
  id: z.uuid(),
  email: z.string(),
  name: z.string(),
  organizationName: z.string().nullable(),
  createdAt: z.string(),
  connections: z.array(cloudConnection),
});

export type RegisterBody = z.output<typeof registerBody>;
export type LoginBody = z.output<typeof loginBody>;
