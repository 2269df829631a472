import * as z from 'zod';
import { PROVIDERS } from '#shared/providers/types';

export const providerName = z.enum(PROVIDERS);
export const providerParams = z.strictObject({ provider: providerName });

/** What the API shows of a connection: never a token. */
export const cloudConnection = z.object({
  provider: providerName,
  status: z.enum(['active', 'needs_reauth']),
  accountId: z.string(),
  accountEmail: z.string().nullable(),
  scopes: z.array(z.string()),
  connectedAt: z.string(),
  accessTokenExpiresAt: z.string().nullable(),
  lastRefreshedAt: z.string().nullable(),
  lastError: z.string().nullable(),
});
export type CloudConnection = z.output<typeof cloudConnection>;

export const connectResponse = z.object({ authorizationUrl: z.url(), expiresAt: z.string() });

/** Providers add their own parameters to the redirect (Google `scope`, `authuser`…), so unknown keys pass. */
export const callbackQuery = z.looseObject({
  code: z.string().max(8192).optional(),
  state: z.string().max(8192).optional(),
  error: z.string().max(8192).optional(),
});

export const confirmBody = z.strictObject({ ticket: z.string().min(1).max(512) });
export const connectionsResponse = z.object({ connections: z.array(cloudConnection) });
