import { optionalEnv } from '#shared/config';
import type { ProviderError } from '#shared/providers/errors';
import type { Provider } from '#shared/providers/types';

/**
 * Connection health (API.md, CloudConnection `health`; PROVIDERS.md "Lifecycle facts"): which provider answers
 * mean what, and the warnings computed from a connection's dates. Reason codes only, never provider text.
 */
export const HEALTH_REASONS = [
  'invalid_grant',
  'consent_revoked',
  'admin_consent_required',
  'conditional_access',
  'scopes_missing',
  'provider_unavailable',
  'rate_limited',
  'account_mismatch',
] as const;
export type HealthReason = (typeof HEALTH_REASONS)[number];

export type ConnectionStatus = 'active' | 'needs_reauth' | 'needs_admin_consent';

/** A permanent failure: the status it leaves and why. No attempt is made until the user reconnects. */
export interface PermanentFailure {
  status: Exclude<ConnectionStatus, 'active'>;
  reason: HealthReason;
}

const AADSTS: Record<string, PermanentFailure> = {
  aadsts_700082: { status: 'needs_reauth', reason: 'invalid_grant' }, // expired or inactive grant
  aadsts_50173: { status: 'needs_reauth', reason: 'consent_revoked' }, // grant revoked: fresh sign-in
  aadsts_70043: { status: 'needs_reauth', reason: 'conditional_access' }, // sign-in frequency
  aadsts_50076: { status: 'needs_reauth', reason: 'conditional_access' }, // MFA required
  aadsts_65001: { status: 'needs_admin_consent', reason: 'admin_consent_required' },
  aadsts_90094: { status: 'needs_admin_consent', reason: 'admin_consent_required' },
};

const BY_CODE: Record<string, PermanentFailure> = {
  invalid_grant: { status: 'needs_reauth', reason: 'invalid_grant' },
  no_refresh_token: { status: 'needs_reauth', reason: 'invalid_grant' },
  invalid_scope: { status: 'needs_reauth', reason: 'scopes_missing' },
  missing_scope: { status: 'needs_reauth', reason: 'scopes_missing' },
  scopes_missing: { status: 'needs_reauth', reason: 'scopes_missing' },
  invalid_access_token: { status: 'needs_reauth', reason: 'consent_revoked' },
  consent_required: { status: 'needs_reauth', reason: 'consent_revoked' },
  interaction_required: { status: 'needs_reauth', reason: 'conditional_access' },
  invalid_rapt: { status: 'needs_reauth', reason: 'conditional_access' },
  account_mismatch: { status: 'needs_reauth', reason: 'account_mismatch' },
};

/** What a permanent provider answer (or our own code for one, e.g. `no_refresh_token`) does to the connection. */
export function permanentFailure(code: string, providerCode?: string): PermanentFailure {
  return (
    (providerCode ? AADSTS[providerCode] : undefined) ??
    BY_CODE[code] ?? { status: 'needs_reauth', reason: 'invalid_grant' }
  );
}

/** Google answers `invalid_scope` when the grant lost a scope: the user must consent again, not the operator. */
export function isLostScope(provider: Provider, error: ProviderError): boolean {
  return provider === 'google_drive' && error.code === 'invalid_scope';
}

/** The reason a transient failure leaves (the connection stays active and backs off). */
export const transientReason = (rateLimited: boolean): HealthReason =>
  rateLimited ? 'rate_limited' : 'provider_unavailable';

export interface HealthWarning {
  code: 'testing_mode_expiry' | 'idle_expiry';
  message: string;
}

const DAY_MS = 24 * 60 * 60 * 1000;
/** Providers' idle limits for refresh tokens (Dropbox's do not expire) and when to warn before them. */
const IDLE_LIMIT_DAYS: Partial<Record<Provider, { limit: number; warnAt: number }>> = {
  google_drive: { limit: 182, warnAt: 150 },
  onedrive: { limit: 90, warnAt: 75 },
};

/**
 * Warnings from the connection's dates:
 * - `testing_mode_expiry`: a Google app in testing mode (stage setting GOOGLE_APP_TESTING_MODE=true) issues refresh
 *   tokens that die after 7 days; warn from day 6;
 * - `idle_expiry`: the refresh token has not been exercised for long enough that the provider's idle limit is
 *   near (the keep-alive refresh keeps this from happening unless it keeps failing).
 */
export function computeWarnings(
  row: {
    provider: Provider;
    status: string;
    refresh_token_issued_at: string | null;
    last_refreshed_at: string | null;
    connected_at: string;
  },
  now = Date.now(),
): HealthWarning[] {
  const warnings: HealthWarning[] = [];
  if (row.status !== 'active') return warnings;
  const testingMode = optionalEnv('GOOGLE_APP_TESTING_MODE') === 'true';
  const issued = Date.parse(row.refresh_token_issued_at ?? row.connected_at);
  if (row.provider === 'google_drive' && testingMode && now - issued >= 6 * DAY_MS) {
    warnings.push({
      code: 'testing_mode_expiry',
      message:
        'The Google app is in testing mode: this refresh token expires 7 days after it was issued. Reconnect, or publish the app.',
    });
  }
  const idle = IDLE_LIMIT_DAYS[row.provider];
  const exercised = Date.parse(row.last_refreshed_at ?? row.connected_at);
  if (idle && now - exercised >= idle.warnAt * DAY_MS) {
    warnings.push({
      code: 'idle_expiry',
      message: `The refresh token has not been used for ${Math.floor((now - exercised) / DAY_MS)} days; the provider revokes it after ${idle.limit}.`,
    });
  }
  return warnings;
}
