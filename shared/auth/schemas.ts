import * as z from 'zod';
import { cloudConnection } from '#shared/cloud-storage/schemas';

const email = z
  .email()
  .max(320)
  .transform((v) => v.trim().toLowerCase());

export const registerBody = z.strictObject({
  email,
  // The policy itself is checked by the service so the 400 names the rule that was broken.
  password: z.string().min(1).max(256),
  name: z.string().trim().min(1).max(200),
  organizationName: z.string().trim().max(200).nullable().optional(),
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
