import { createHash, randomBytes } from 'node:crypto';
import { PROVIDERS, type Provider } from '#shared/providers/types';
import { type AccountDrive, buildAccountDrive } from './files.ts';

export interface SandboxAccount {
  /** Google `sub`, Microsoft `id` (object id), Dropbox `account_id`. */
  id: string;
  email: string;
  displayName?: string;
}
export type Account = Required<SandboxAccount>;

export interface SandboxClient {
  clientId: string;
  clientSecret: string;
}

/** Fixed so `PROVIDERS=sandbox npm start` can use them from env/.env without reading them from the sandbox. */
export const DEFAULT_CLIENTS: Record<Provider, SandboxClient> = {
  google_drive: {
    clientId: '000000000000-sandbox.apps.googleusercontent.com',
    clientSecret: 'GOCSPX-sandbox-google-secret',
  },
  onedrive: { clientId: '5a4db0c1-1e47-4c2b-9d6e-5a4db0c11e47', clientSecret: 'sandbox~microsoft~secret' },
  dropbox: { clientId: 'sandboxappkey01', clientSecret: 'sandboxappsecret01' },
};

/** What a consent grants when the app asks for its usual scopes; tokens minted by `issueTokens` carry these. */
export const FULL_SCOPES: Record<Provider, string[]> = {
  google_drive: ['openid', 'email', 'https://www.googleapis.com/auth/drive.readonly'],
  onedrive: ['offline_access', 'User.Read', 'Files.Read'],
  dropbox: ['account_info.read', 'files.metadata.read', 'files.content.read'],
};

export const DEFAULT_ACCOUNTS: Record<Provider, Account> = {
  google_drive: {
    id: '109876543210987654321',
    email: 'google.user@example.com',
    displayName: 'Sandbox User',
  },
  onedrive: {
    id: '6f1c2a9e-3b7d-4c5e-9a10-5d2b8e7f4c31',
    email: 'onedrive.user@example.com',
    displayName: 'Sandbox User',
  },
  dropbox: {
    id: 'dbid:AABsandboxUserAAAAAAAAAAAAAAAAAAAAAA',
    email: 'dropbox.user@example.com',
    displayName: 'Sandbox User',
  },
};

/**
 * A Microsoft personal account (outlook.com and the like): `/me` has `mail: null` and the address only in
 * `userPrincipalName`, the id is 16 hex digits, and drive item ids look like `4F0B2C5A8E1D3B67!101`. Typing this
 * address (or any outlook.com, hotmail.com, live.com or msn.com one) on the Microsoft consent page signs in as a
 * personal account.
 */
export const PERSONAL_MICROSOFT_ACCOUNT: Account = {
  id: '4f0b2c5a8e1d3b67',
  email: 'onedrive.personal@outlook.com',
  displayName: 'Personal User',
};

const CONSUMER_DOMAINS = /@(?:outlook|hotmail|live|msn)\.[a-z.]+$/i;

/** Whether a Microsoft account id is a personal account's (16 hex digits; work and school ids are GUIDs). */
export const isPersonalMicrosoftId = (id: string): boolean => /^[0-9a-f]{16}$/i.test(id);

/** Per-provider knobs; `control.configure(provider, {...})` changes them, `control.reset()` restores these. */
export interface ProviderBehaviour {
  /** `expires_in` of new access tokens (Google 3599, Microsoft 3600, Dropbox 14400). */
  accessTokenTtlSeconds: number;
  /** A new refresh token on every refresh (Microsoft: on by default). */
  rotateRefreshTokens: boolean;
  /** With rotation: whether the refresh token just used stops working (Microsoft: it does not by default). */
  revokeRotatedRefreshTokens: boolean;
  /** Latency added to every token-endpoint call (refresh throughput benchmarks, timeouts). */
  tokenLatencyMs: number;
  /** Scopes the consenting user does not grant (granular consent); the token response shows fewer scopes. */
  withheldScopes: string[];
  /** Google only: an empty page with a nextPageToken before the last page ("pages may be short or empty"). */
  emptyPageBeforeLast: boolean;
  /** Lifetime of Microsoft's pre-authenticated download URLs. */
  downloadUrlTtlSeconds: number;
  /**
   * How the token response spells the granted scopes: as requested (`short`); as the provider documents them
   * (`qualified`: Microsoft prefixes its resource URL, `https://graph.microsoft.com/Files.Read`; Google answers
   * `email`/`profile` as `https://www.googleapis.com/auth/userinfo.*`); or qualified in another casing
   * (`qualified_lowercase`: Microsoft does not promise casing).
   */
  scopeShape: 'short' | 'qualified' | 'qualified_lowercase';
  /** Google only: `files.export` refuses larger results with 403 `exportSizeLimitExceeded` (Drive: 10 MB). */
  exportSizeLimitBytes: number;
  /**
   * A refresh answers only `access_token`, `token_type` and `expires_in`: no refresh token, no `scope`, no
   * account ids (Dropbox: on by default).
   */
  minimalRefreshResponse: boolean;
  /**
   * Google only: Docs Editors files report a `size` (Drive: "size in bytes of blobs and first-party editor
   * files"; on by default). It is the Doc's storage size, not the size of any export.
   */
  docsReportSize: boolean;
  /**
   * Microsoft only: the address of the next page in a children listing's `@odata.nextLink`. Graph documents
   * several addresses of one listing and answers with any of them (onedrive-api-docs #774): the request's own
   * (`as_requested`), `/me/drive/items/{id}/children` (`me_items`), `/drives/{drive-id}/…` (`drives`),
   * `/users/{user-id}/drive/…` (`users`); and, as links production must never follow, another user's drive
   * (`other_drive`) or another host (`other_host`).
   */
  nextLinkForm: NextLinkForm;
  /**
   * Dropbox only: a `list_folder` (or `list_folder/continue`) identical to one still being answered for the same
   * account (same arguments) is refused with 429 `too_many_requests` and Retry-After 1, as Dropbox throttles
   * simultaneous identical listings (on by default).
   */
  throttleIdenticalListings: boolean;
  /** How long answering a listing takes (Dropbox: 30 ms by default), the window in which another is simultaneous. */
  listingLatencyMs: number;
  /**
   * Resource endpoints check the grant's scopes as they are now (consent later withdrawn included): Drive answers
   * 403 `insufficientPermissions`, Graph 403 `accessDenied`, Dropbox 401 `missing_scope` (on by default).
   */
  enforceScopes: boolean;
  /**
   * Google only: shared-drive items are visible only to requests that say they support them: `files.list` needs
   * `supportsAllDrives=true` and `includeItemsFromAllDrives=true` (else they are left out), `files.get` needs
   * `supportsAllDrives=true` (else 404), as Drive does (on by default).
   */
  sharedDrivesNeedAllDrivesParams: boolean;
}

export type NextLinkForm = 'as_requested' | 'me_items' | 'drives' | 'users' | 'other_drive' | 'other_host';

const DEFAULT_BEHAVIOUR: Record<Provider, ProviderBehaviour> = {
  google_drive: {
    accessTokenTtlSeconds: 3599,
    rotateRefreshTokens: false,
    revokeRotatedRefreshTokens: false,
    tokenLatencyMs: 0,
    withheldScopes: [],
    emptyPageBeforeLast: false,
    downloadUrlTtlSeconds: 300,
    scopeShape: 'qualified',
    exportSizeLimitBytes: 10_000_000,
    minimalRefreshResponse: false,
    docsReportSize: true,
    nextLinkForm: 'as_requested',
    throttleIdenticalListings: false,
    listingLatencyMs: 0,
    enforceScopes: true,
    sharedDrivesNeedAllDrivesParams: true,
  },
  onedrive: {
    accessTokenTtlSeconds: 3600,
    rotateRefreshTokens: true,
    revokeRotatedRefreshTokens: false,
    tokenLatencyMs: 0,
    withheldScopes: [],
    emptyPageBeforeLast: false,
    downloadUrlTtlSeconds: 300,
    scopeShape: 'qualified',
    exportSizeLimitBytes: 10_000_000,
    minimalRefreshResponse: false,
    docsReportSize: false,
    nextLinkForm: 'as_requested',
    throttleIdenticalListings: false,
    listingLatencyMs: 0,
    enforceScopes: true,
    sharedDrivesNeedAllDrivesParams: true,
  },
  dropbox: {
    accessTokenTtlSeconds: 14400,
    rotateRefreshTokens: false,
    revokeRotatedRefreshTokens: false,
    tokenLatencyMs: 0,
    withheldScopes: [],
    emptyPageBeforeLast: false,
    downloadUrlTtlSeconds: 300,
    scopeShape: 'short',
    exportSizeLimitBytes: 10_000_000,
    minimalRefreshResponse: true,
    docsReportSize: false,
    nextLinkForm: 'as_requested',
    throttleIdenticalListings: true,
    listingLatencyMs: 30,
    enforceScopes: true,
    sharedDrivesNeedAllDrivesParams: true,
  },
};

/** Injected into the next token-endpoint calls of a provider. */
export type TokenFailure =
  | { kind: 'invalid_grant' }
  | { kind: 'invalid_client' }
  /** 429 with Retry-After (Dropbox: also `retry_after` in the body). */
  | { kind: 'rate_limited'; retryAfterSeconds?: number }
  /** 503 with Retry-After (Microsoft: `temporarily_unavailable`). */
  | { kind: 'unavailable'; retryAfterSeconds?: number }
  | { kind: 'server_error' }
  /** Answers normally, but only after `ms`. */
  | { kind: 'delay'; ms: number }
  /**
   * Any OAuth error answer (400 unless `status`): `error` as the provider spells it, and for Microsoft the AADSTS
   * number it puts in `error_codes` and the description (e.g. invalid_grant + 700082, 65001).
   */
  | { kind: 'oauth_error'; error: string; status?: number; aadsts?: number };

/** Injected into the next resource-API calls (files, account) of a provider. */
export type ApiFailure =
  /** 429 (Google: `rateLimitExceeded`/RESOURCE_EXHAUSTED; Graph and Dropbox: with Retry-After). */
  | { kind: 'rate_limited'; retryAfterSeconds?: number }
  /** Google: 403 `userRateLimitExceeded` (or `rateLimitExceeded`); the other providers answer 429. */
  | { kind: 'user_rate_limit'; reason?: 'userRateLimitExceeded' | 'rateLimitExceeded' }
  | { kind: 'unavailable'; retryAfterSeconds?: number }
  | { kind: 'server_error' }
  | { kind: 'delay'; ms: number };

export interface Grant {
  id: string;
  provider: Provider;
  clientId: string;
  account: Account;
  scopes: string[];
  /** Dropbox lets a PKCE grant refresh without the client secret. */
  pkceWithoutSecret: boolean;
  revoked: boolean;
}

export interface AccessTokenRecord {
  token: string;
  grant: Grant;
  expiresAt: number;
  revoked: boolean;
}

export interface RefreshTokenRecord {
  token: string;
  grant: Grant;
  revoked: boolean;
}

export interface PendingAuthorization {
  id: string;
  provider: Provider;
  clientId: string;
  redirectUri: string;
  state: string | undefined;
  scopes: string[];
  codeChallenge: string;
  offline: boolean;
  forceConsent: boolean;
  expiresAt: number;
}

export interface CodeRecord {
  code: string;
  provider: Provider;
  clientId: string;
  redirectUri: string;
  codeChallenge: string;
  scopes: string[];
  account: Account;
  refreshToken: boolean;
  expiresAt: number;
  used: boolean;
  grant?: Grant;
}

export interface TokenRequestRecord {
  provider: Provider;
  grantType: string;
  /** Every form field as received (client_secret and code_verifier included: it is a sandbox). */
  params: Record<string, string>;
  clientAuth: 'basic' | 'body' | 'none';
  /** OAuth parameters found in the URL query (refused with 400 invalid_request). */
  paramsInUrl: string[];
  status?: number;
  error?: string;
}

export interface RevocationRecord {
  provider: Provider;
  token: string;
  tokenType: 'access' | 'refresh' | 'unknown';
  /** Where the token came from; `query` means it travelled in a URL. */
  via: 'body' | 'query' | 'header';
}

export interface ApiCallRecord {
  provider: Provider;
  /** A stable name such as `files.list`, `children`, `list_folder`, `userinfo`, `download_url`. */
  endpoint: string;
  method: string;
  path: string;
  /** The bearer token the fake saw in the Authorization header, if any. */
  bearer?: string;
  authorizationHeader: boolean;
  /** An `access_token`/`authorization` query parameter was present (refused with 400). */
  tokenInUrl: boolean;
  accountId?: string;
  status?: number;
}

export interface IssuedTokens {
  accessToken: string;
  refreshToken?: string;
  expiresIn: number;
  scope: string;
  account: Account;
}

export type TokenStatus = 'active' | 'expired' | 'revoked' | 'unknown';

const PREFIX: Record<Provider, { code: string; access: string; refresh: string }> = {
  google_drive: { code: '4/0Asbx', access: 'ya29.sbx_', refresh: '1//0sbx' },
  onedrive: { code: 'M.C5_sbx.', access: 'EwBsbx.', refresh: 'M.C5_sbx.R.' },
  dropbox: { code: 'sbx', access: 'sl.sbx.', refresh: 'sbxr' },
};

const randomToken = (bytes = 32) => randomBytes(bytes).toString('base64url');

export function s256(verifier: string): string {
  return createHash('sha256').update(verifier).digest('base64url');
}

function perProvider<T>(make: (p: Provider) => T): Record<Provider, T> {
  return Object.fromEntries(PROVIDERS.map((p) => [p, make(p)])) as Record<Provider, T>;
}

export type RedirectPolicy = string[] | 'any-loopback';

export interface QueuedFailure<F> {
  failure: F;
  remaining: number;
  endpoint?: string;
}

/** Everything the fakes remember. One instance per sandbox; tests reach it through `control`. */
export class SandboxState {
  readonly clients: Record<Provider, SandboxClient>;
  readonly initialRedirectPolicy: RedirectPolicy;
  redirectPolicy: RedirectPolicy;
  accounts = perProvider((p) => ({ ...DEFAULT_ACCOUNTS[p] }));
  behaviour = perProvider((p) => structuredClone(DEFAULT_BEHAVIOUR[p]));
  tokenFailures = perProvider((): QueuedFailure<TokenFailure>[] => []);
  apiFailures = perProvider((): QueuedFailure<ApiFailure>[] => []);

  pending = new Map<string, PendingAuthorization>();
  codes = new Map<string, CodeRecord>();
  accessTokens = new Map<string, AccessTokenRecord>();
  refreshTokens = new Map<string, RefreshTokenRecord>();
  /** (provider, client, account) that already granted offline access: Google skips the refresh token then. */
  offlineConsents = new Set<string>();
  downloads = new Map<string, { provider: Provider; accountId: string; fileId: string; expiresAt: number }>();
  drives = new Map<string, AccountDrive>();
  /** Listings being answered right now (account and arguments), for `throttleIdenticalListings`. */
  listingsInFlight = new Set<string>();

  tokenRequests: TokenRequestRecord[] = [];
  revocations: RevocationRecord[] = [];
  apiCalls: ApiCallRecord[] = [];

  constructor(clients: Record<Provider, SandboxClient>, redirectPolicy: RedirectPolicy) {
    this.clients = clients;
    this.initialRedirectPolicy = redirectPolicy;
    this.redirectPolicy = redirectPolicy;
  }

  reset(): void {
    this.redirectPolicy = this.initialRedirectPolicy;
    this.accounts = perProvider((p) => ({ ...DEFAULT_ACCOUNTS[p] }));
    this.behaviour = perProvider((p) => structuredClone(DEFAULT_BEHAVIOUR[p]));
    this.tokenFailures = perProvider(() => []);
    this.apiFailures = perProvider(() => []);
    for (const m of [this.pending, this.codes, this.accessTokens, this.refreshTokens, this.downloads])
      m.clear();
    this.offlineConsents.clear();
    this.drives.clear();
    this.listingsInFlight.clear();
    this.tokenRequests = [];
    this.revocations = [];
    this.apiCalls = [];
  }

  client(provider: Provider, clientId: string | null | undefined): SandboxClient | undefined {
    const c = this.clients[provider];
    return clientId && clientId === c.clientId ? c : undefined;
  }

  redirectAllowed(uri: string): boolean {
    if (this.redirectPolicy !== 'any-loopback') return this.redirectPolicy.includes(uri);
    try {
      const u = new URL(uri);
      return (
        (u.protocol === 'http:' || u.protocol === 'https:') &&
        ['localhost', '127.0.0.1', '[::1]'].includes(u.hostname) &&
        !u.hash &&
        !u.username &&
        !u.password
      );
    } catch {
      return false;
    }
  }

  /** The account behind a typed e-mail on the consent page: the configured one, or a stable derived one. */
  accountForEmail(provider: Provider, email: string | undefined): Account {
    const configured = this.accounts[provider];
    const typed = email?.trim().toLowerCase();
    if (!typed || typed === configured.email.toLowerCase()) return configured;
    if (provider === 'onedrive' && typed === PERSONAL_MICROSOFT_ACCOUNT.email)
      return PERSONAL_MICROSOFT_ACCOUNT;
    const h = createHash('sha256').update(`${provider}\u0000${typed}`).digest();
    const hex = h.toString('hex');
    const id =
      provider === 'onedrive' && CONSUMER_DOMAINS.test(typed)
        ? hex.slice(0, 16)
        : provider === 'google_drive'
          ? `1${BigInt(`0x${hex.slice(0, 16)}`)
              .toString()
              .padStart(20, '0')
              .slice(0, 20)}`
          : provider === 'onedrive'
            ? `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`
            : `dbid:AA${h.toString('base64url').slice(0, 35)}`;
    return { id, email: email!.trim(), displayName: typed.split('@')[0] ?? typed };
  }

  drive(provider: Provider, accountId: string): AccountDrive {
    const key = `${provider}\u0000${accountId}`;
    let drive = this.drives.get(key);
    if (!drive) {
      drive = buildAccountDrive(provider, accountId);
      this.drives.set(key, drive);
    }
    return drive;
  }

  newCode(provider: Provider): string {
    return `${PREFIX[provider].code}${randomToken(24)}`;
  }

  newPendingId(): string {
    return randomToken(18);
  }

  /** Starts a grant and issues its first tokens. */
  issue(
    provider: Provider,
    clientId: string,
    account: Account,
    scopes: string[],
    withRefreshToken: boolean,
    pkceWithoutSecret = false,
  ): { grant: Grant; tokens: IssuedTokens } {
    const grant: Grant = {
      id: randomToken(12),
      provider,
      clientId,
      account,
      scopes,
      pkceWithoutSecret,
      revoked: false,
    };
    const tokens = this.issueAccess(grant);
    if (withRefreshToken) tokens.refreshToken = this.issueRefresh(grant);
    return { grant, tokens };
  }

  issueAccess(grant: Grant): IssuedTokens {
    const ttl = this.behaviour[grant.provider].accessTokenTtlSeconds;
    const token = `${PREFIX[grant.provider].access}${randomToken()}`;
    this.accessTokens.set(token, { token, grant, expiresAt: Date.now() + ttl * 1000, revoked: false });
    return { accessToken: token, expiresIn: ttl, scope: grant.scopes.join(' '), account: grant.account };
  }

  issueRefresh(grant: Grant): string {
    const token = `${PREFIX[grant.provider].refresh}${randomToken()}`;
    this.refreshTokens.set(token, { token, grant, revoked: false });
    return token;
  }

  accessStatus(
    provider: Provider,
    token: string | undefined,
  ): { status: TokenStatus; record?: AccessTokenRecord } {
    const record = token ? this.accessTokens.get(token) : undefined;
    if (!record || record.grant.provider !== provider) return { status: 'unknown' };
    if (record.revoked || record.grant.revoked) return { status: 'revoked', record };
    if (Date.now() >= record.expiresAt) return { status: 'expired', record };
    return { status: 'active', record };
  }

  refreshStatus(
    provider: Provider,
    token: string | undefined,
  ): { status: TokenStatus; record?: RefreshTokenRecord } {
    const record = token ? this.refreshTokens.get(token) : undefined;
    if (!record || record.grant.provider !== provider) return { status: 'unknown' };
    if (record.revoked || record.grant.revoked) return { status: 'revoked', record };
    return { status: 'active', record };
  }

  tokenStatus(provider: Provider, token: string): TokenStatus {
    const access = this.accessStatus(provider, token);
    return access.status !== 'unknown' ? access.status : this.refreshStatus(provider, token).status;
  }

  takeFailure<F>(queue: QueuedFailure<F>[], endpoint?: string): F | undefined {
    const i = queue.findIndex((q) => !q.endpoint || q.endpoint === endpoint);
    if (i < 0) return undefined;
    const entry = queue[i]!;
    entry.remaining -= 1;
    if (entry.remaining <= 0) queue.splice(i, 1);
    return entry.failure;
  }
}

/**
 * What a sandbox remembers across restarts of `PROVIDERS=sandbox npm start` (written under `.local/`): the
 * grants and the access and refresh tokens issued on them, and which accounts already granted offline access.
 * Pending consents, codes, counters, failures and overrides are per run.
 */
export interface PersistedTokens {
  version: 1;
  grants: Grant[];
  accessTokens: Array<{ token: string; grantId: string; expiresAt: number; revoked: boolean }>;
  refreshTokens: Array<{ token: string; grantId: string; revoked: boolean }>;
  offlineConsents: string[];
}

export function exportTokens(state: SandboxState): PersistedTokens {
  const grants = new Map<string, Grant>();
  for (const r of [...state.accessTokens.values(), ...state.refreshTokens.values()])
    grants.set(r.grant.id, r.grant);
  return {
    version: 1,
    grants: [...grants.values()],
    accessTokens: [...state.accessTokens.values()].map((r) => ({
      token: r.token,
      grantId: r.grant.id,
      expiresAt: r.expiresAt,
      revoked: r.revoked,
    })),
    refreshTokens: [...state.refreshTokens.values()].map((r) => ({
      token: r.token,
      grantId: r.grant.id,
      revoked: r.revoked,
    })),
    offlineConsents: [...state.offlineConsents],
  };
}

/** Loads what `exportTokens` wrote (tokens of unknown grants are dropped; nothing else is touched). */
export function importTokens(state: SandboxState, saved: PersistedTokens): void {
  if (saved?.version !== 1) return;
  const grants = new Map(saved.grants.map((g) => [g.id, { ...g }]));
  for (const r of saved.accessTokens) {
    const grant = grants.get(r.grantId);
    if (grant)
      state.accessTokens.set(r.token, { token: r.token, grant, expiresAt: r.expiresAt, revoked: r.revoked });
  }
  for (const r of saved.refreshTokens) {
    const grant = grants.get(r.grantId);
    if (grant) state.refreshTokens.set(r.token, { token: r.token, grant, revoked: r.revoked });
  }
  for (const key of saved.offlineConsents) state.offlineConsents.add(key);
}
