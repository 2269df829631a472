import * as z from 'zod';
import { PROVIDERS } from '#shared/providers/types';

export const providerName = z.enum(PROVIDERS);
export const providerParams = z.strictObject({ provider: providerName });

export const connectionHealth = z
  .object({
    reason: z
      .enum([
        'invalid_grant',
        'consent_revoked',
        'admin_consent_required',
        'conditional_access',
        'scopes_missing',
        'provider_unavailable',
        'rate_limited',
        'account_mismatch',
      ])
      .nullable()
      .describe('Why the connection is failing (a code, never provider text); null while healthy.'),
    since: z.string().describe('When the connection entered its current health state.'),
    lastSuccessAt: z.string().nullable(),
    lastFailureAt: z.string().nullable(),
    consecutiveFailures: z.number().int(),
    nextAttemptAt: z.string().nullable().describe('When the next refresh attempt may run after a failure.'),
    warnings: z.array(
      z.object({ code: z.enum(['testing_mode_expiry', 'idle_expiry']), message: z.string() }),
    ),
  })
  .meta({ id: 'ConnectionHealth' });

/** What the API shows of a connection: never a token. */
export const cloudConnection = z
  .object({
    id: z.guid().describe('Stable across reconnects.'),
    provider: providerName,
    status: z.enum(['active', 'needs_reauth', 'needs_admin_consent']),
    accountId: z.string(),
    accountEmail: z.string().nullable(),
    scopes: z.array(z.string()),
    connectedAt: z.string(),
    accessTokenExpiresAt: z.string().nullable(),
    lastRefreshedAt: z.string().nullable(),
    lastError: z.string().nullable(),
    health: connectionHealth,
  })
  .meta({ id: 'CloudConnection' });
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
