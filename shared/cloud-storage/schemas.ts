import * as z from 'zod/mini';
import { PROVIDERS } from '#shared/providers/types';
import { describe, meta } from '#shared/schema-meta';
import { HEALTH_REASONS } from './health.ts';

export const providerName = z.enum(PROVIDERS);
export const providerParams = z.strictObject({ provider: providerName });

export const connectionHealth = meta(
  z.object({
    reason: describe(
      z.nullable(z.enum(HEALTH_REASONS)),
      'Why the connection is failing (a code, never provider text); null while healthy.',
    ),
    since: describe(z.string(), 'When the connection entered its current health state.'),
    lastSuccessAt: z.nullable(z.string()),
    lastFailureAt: z.nullable(z.string()),
    consecutiveFailures: z.number().check(z.int()),
    nextAttemptAt: describe(z.nullable(z.string()), 'When the next refresh attempt may run after a failure.'),
    warnings: z.array(
      z.object({ code: z.enum(['testing_mode_expiry', 'idle_expiry']), message: z.string() }),
    ),
  }),
  { id: 'ConnectionHealth' },
);

/** What the API shows of a connection: never a token. */
export const cloudConnection = meta(
  z.object({
    id: describe(z.guid(), 'Stable across reconnects.'),
    provider: providerName,
    status: z.enum(['active', 'needs_reauth', 'needs_admin_consent']),
    accountId: z.string(),
    accountEmail: z.nullable(z.string()),
    scopes: z.array(z.string()),
    connectedAt: z.string(),
    accessTokenExpiresAt: z.nullable(z.string()),
    lastRefreshedAt: z.nullable(z.string()),
    lastError: z.nullable(z.string()),
    health: connectionHealth,
  }),
  { id: 'CloudConnection' },
);
export type CloudConnection = z.output<typeof cloudConnection>;

export const connectResponse = z.object({ authorizationUrl: z.url(), expiresAt: z.string() });

/** Providers add their own parameters to the redirect (Google `scope`, `authuser`…), so unknown keys pass. */
export const callbackQuery = z.looseObject({
  code: z.optional(z.string().check(z.maxLength(8192))),
  state: z.optional(z.string().check(z.maxLength(8192))),
  error: z.optional(z.string().check(z.maxLength(8192))),
});

export const confirmBody = z.strictObject({ ticket: z.string().check(z.minLength(1), z.maxLength(512)) });
export const connectionsResponse = z.object({ connections: z.array(cloudConnection) });
