/**
 * Loopback fakes of Google (OAuth, OpenID userinfo, Drive v3), Microsoft (identity platform v2, Graph OneDrive)
 * and Dropbox (OAuth, API v2 RPC and content) on one https server, so the real SDKs run unmodified against
 * them in tests and under `PROVIDERS=sandbox npm start`. Nothing leaves 127.0.0.1.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Provider, ProviderEndpoints } from '#shared/providers/types';
import { PROVIDERS } from '#shared/providers/types';
import { DROPBOX_PATHS, dropboxRoutes } from './dropbox.ts';
import { describeDrive, reviseNode, type SandboxFileInfo } from './files.ts';
import { GOOGLE_PATHS, googleRoutes } from './google.ts';
import { type RequestContext, type Route, readBody, sendJson, sendText } from './http.ts';
import { MICROSOFT_PATHS, microsoftRoutes } from './microsoft.ts';
import { issueDirect } from './oauth.ts';
import {
  type ApiCallRecord,
  type ApiFailure,
  DEFAULT_CLIENTS,
  exportTokens,
  type IssuedTokens,
  importTokens,
  type PersistedTokens,
  type ProviderBehaviour,
  type RevocationRecord,
  type SandboxAccount,
  type SandboxClient,
  SandboxState,
  type TokenFailure,
  type TokenRequestRecord,
  type TokenStatus,
} from './state.ts';
import { createSandboxCertificate, persistentSandboxCertificate, trustSandboxCertificate } from './tls.ts';

export type {
  ApiCallRecord,
  ApiFailure,
  IssuedTokens,
  ProviderBehaviour,
  RevocationRecord,
  SandboxAccount,
  SandboxClient,
  SandboxFileInfo,
  TokenFailure,
  TokenRequestRecord,
  TokenStatus,
};
export { createSandboxCertificate, trustSandboxCertificate };

export interface SandboxOptions {
  /** 0 (default) picks a free port. The host is always 127.0.0.1. */
  port?: number;
  /** Client credentials the fakes accept; defaults to the fixed `DEFAULT_CLIENTS`. */
  clients?: Partial<Record<Provider, SandboxClient>>;
  /**
   * Registered redirect URIs (exact match, like Google and Microsoft). Omitted: any http(s) redirect URI on
   * localhost, 127.0.0.1 or [::1] is accepted.
   */
  redirectUris?: string[];
  /** The accounts that consent, per provider (default: a fixed sandbox user each). */
  accounts?: Partial<Record<Provider, SandboxAccount>>;
  /** Also write the CA certificate here, e.g. for `NODE_EXTRA_CA_CERTS` of child processes. */
  caFile?: string;
  /**
   * Keep the issued tokens (`tokens.json`) and the certificate authority (`ca.pem`, `ca-key.pem`) here across
   * restarts (`npm start` passes `.local/sandbox`); without it both live only as long as the process.
   */
  stateDir?: string;
}

export interface ConsentOptions {
  decision?: 'allow' | 'deny';
  /** Typed into the consent page's e-mail field: another e-mail means another (stable) account. */
  email?: string;
}

/** Test hooks. Provider keys are the app's: `google_drive`, `onedrive`, `dropbox`. */
export interface SandboxControl {
  /** The account that consents next (and owns tokens from `issueTokens`). */
  setAccount(provider: Provider, account: SandboxAccount): void;
  account(provider: Provider): Required<SandboxAccount>;
  configure(provider: Provider, behaviour: Partial<ProviderBehaviour>): void;
  behaviour(provider: Provider): Readonly<ProviderBehaviour>;
  /** A list of exact redirect URIs, or `'any-loopback'`. */
  setRedirectUris(uris: string[] | 'any-loopback'): void;
  /** The next `count` token-endpoint calls of `provider` fail (or are delayed) this way. */
  failNextTokenCalls(provider: Provider, failure: TokenFailure, count?: number): void;
  /** The next `count` resource-API calls (optionally of one endpoint, e.g. `files.list`) fail this way. */
  failNextApiCalls(
    provider: Provider,
    failure: ApiFailure,
    options?: number | { count?: number; endpoint?: string },
  ): void;
  /** Every access token issued so far (of one provider, or all) is now expired. */
  expireAccessTokens(provider?: Provider): void;
  /** Every refresh token issued so far is revoked: refreshing answers invalid_grant. */
  revokeRefreshTokens(provider?: Provider): void;
  /**
   * The user (or their admin) withdraws consent for these scopes: every grant of the provider loses them, so its
   * tokens are refused where the scope is needed (with `enforceScopes`) and refreshes report fewer scopes.
   */
  withdrawScopes(provider: Provider, scopes: string[]): void;
  /** Mints tokens without the browser dance (refresh token included unless `refreshToken: false`). */
  issueTokens(
    provider: Provider,
    options?: { account?: SandboxAccount; scopes?: string[]; refreshToken?: boolean },
  ): IssuedTokens;
  tokenStatus(provider: Provider, token: string): TokenStatus;
  /** Walks the consent page over https like a browser and returns the URL it redirects to. */
  consent(authorizationUrl: string, options?: ConsentOptions): Promise<URL>;
  tokenCalls(provider: Provider, grantType?: string): number;
  tokenRequests(provider?: Provider): readonly TokenRequestRecord[];
  lastTokenRequest(provider: Provider): TokenRequestRecord | undefined;
  revocations(provider?: Provider): readonly RevocationRecord[];
  apiCalls(provider?: Provider, endpoint?: string): readonly ApiCallRecord[];
  /** The seeded files of an account (default: the current account). */
  files(provider: Provider, accountId?: string): SandboxFileInfo[];
  /** The id of a seeded path such as `/Batch` or `/readme.txt`. */
  fileId(provider: Provider, path: string, accountId?: string): string;
  /**
   * Edits a seeded file as its owner would at the provider: new bytes (or, for a Google-native document, new
   * exports), a newer modified time and the next revision (Drive version/headRevisionId, Graph cTag/eTag,
   * Dropbox rev). Without a change, only the revision moves (e.g. a save without edits).
   */
  reviseFile(
    provider: Provider,
    path: string,
    change?: { content?: Buffer; exports?: Record<string, Buffer> },
    accountId?: string,
  ): void;
  /** Forgets tokens, codes, counters, failures and overrides; accounts and behaviour go back to defaults. */
  reset(): void;
}

export interface Sandbox {
  /** `https://127.0.0.1:<port>` */
  origin: string;
  port: number;
  endpoints: ProviderEndpoints;
  /** PEM of the throwaway CA that signed the server certificate. */
  caPem: string;
  clients: Record<Provider, SandboxClient>;
  control: SandboxControl;
  stop(): Promise<void>;
}

function unescapeHtml(value: string): string {
  return value
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

function withDisplayName(account: SandboxAccount): Required<SandboxAccount> {
  return {
    id: account.id,
    email: account.email,
    displayName: account.displayName ?? account.email.split('@')[0]!,
  };
}

function endpointsFor(origin: string): ProviderEndpoints {
  return {
    google_drive: {
      authorizeUrl: `${origin}${GOOGLE_PATHS.authorize}`,
      tokenUrl: `${origin}${GOOGLE_PATHS.token}`,
      revokeUrl: `${origin}${GOOGLE_PATHS.revoke}`,
      userinfoUrl: `${origin}${GOOGLE_PATHS.userinfo}`,
      driveRootUrl: `${origin}${GOOGLE_PATHS.driveRoot}`,
    },
    onedrive: {
      authorizeUrl: `${origin}${MICROSOFT_PATHS.authorize}`,
      tokenUrl: `${origin}${MICROSOFT_PATHS.token}`,
      graphBaseUrl: `${origin}${MICROSOFT_PATHS.graphBase}`,
    },
    dropbox: {
      authorizeUrl: `${origin}${DROPBOX_PATHS.authorize}`,
      tokenUrl: `${origin}${DROPBOX_PATHS.token}`,
      revokeUrl: `${origin}${DROPBOX_PATHS.revoke}`,
      apiBaseUrl: `${origin}${DROPBOX_PATHS.api}`,
      contentBaseUrl: `${origin}${DROPBOX_PATHS.content}`,
    },
  };
}

/** A request to the sandbox that trusts its CA explicitly, so `consent()` works before any global trust. */
function request(
  url: string,
  caPem: string,
  init: { method: string; body?: string; headers?: Record<string, string> },
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = https.request(url, { method: init.method, headers: init.headers, ca: caPem }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(init.body);
  });
}

export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  if (options.stateDir) await mkdir(options.stateDir, { recursive: true });
  const certificate = options.stateDir
    ? await persistentSandboxCertificate(options.stateDir)
    : await createSandboxCertificate();
  const clients = Object.fromEntries(
    PROVIDERS.map((p) => [p, { ...DEFAULT_CLIENTS[p], ...(options.clients?.[p] ?? {}) }]),
  ) as Record<Provider, SandboxClient>;
  const state = new SandboxState(clients, options.redirectUris ? [...options.redirectUris] : 'any-loopback');
  const initialAccounts = options.accounts ?? {};
  const applyInitialAccounts = () => {
    for (const [p, a] of Object.entries(initialAccounts) as [Provider, SandboxAccount][]) {
      state.accounts[p] = withDisplayName(a);
    }
  };
  applyInitialAccounts();

  // Issued tokens survive a restart: loaded here, written (atomically, when they changed) shortly after a
  // request, off the request's path (the sandbox shares its process with the API), and on stop.
  const tokensFile = options.stateDir ? path.join(options.stateDir, 'tokens.json') : undefined;
  let savedJson = '';
  if (tokensFile && existsSync(tokensFile)) {
    try {
      savedJson = readFileSync(tokensFile, 'utf8');
      importTokens(state, JSON.parse(savedJson) as PersistedTokens);
    } catch {
      savedJson = ''; // unreadable: start afresh (connections then need re-consent, as before)
    }
  }
  const persistNow = () => {
    if (!tokensFile) return;
    const json = JSON.stringify(exportTokens(state));
    if (json === savedJson) return;
    const tmp = `${tokensFile}.${process.pid}.tmp`;
    writeFileSync(tmp, json, { mode: 0o600 });
    renameSync(tmp, tokensFile);
    savedJson = json;
  };
  let persistTimer: NodeJS.Timeout | undefined;
  const persist = () => {
    if (!tokensFile || persistTimer) return;
    persistTimer = setTimeout(() => {
      persistTimer = undefined;
      persistNow();
    }, 100);
    persistTimer.unref();
  };

  let origin = '';
  const routes: Route[] = [
    ...googleRoutes(state, () => origin),
    ...microsoftRoutes(state, () => origin),
    ...dropboxRoutes(state),
  ];

  const server = https.createServer(
    { key: certificate.keyPem, cert: certificate.certPem },
    async (req, res) => {
      const method = (req.method ?? 'GET').toUpperCase();
      const url = new URL(req.url ?? '/', origin);
      let bodyPromise: Promise<Buffer> | undefined;
      const ctx: RequestContext = {
        req,
        res,
        method,
        url,
        origin,
        body: () => {
          bodyPromise ??= readBody(req);
          return bodyPromise;
        },
      };
      try {
        let pathMatched = false;
        for (const route of routes) {
          const match = route.pattern.exec(url.pathname);
          if (!match) continue;
          pathMatched = true;
          const methods = Array.isArray(route.method) ? route.method : [route.method];
          if (!methods.includes(method)) continue;
          await route.handler(ctx, match);
          persist();
          return;
        }
        if (pathMatched) return sendText(res, 405, 'Method Not Allowed');
        if (url.pathname === '/' && method === 'GET') {
          return sendJson(res, 200, {
            sandbox: 'brand-cloud provider sandbox',
            endpoints: endpointsFor(origin),
          });
        }
        sendJson(res, 404, { error: 'not_found', path: url.pathname });
      } catch (err) {
        if (!res.headersSent) sendText(res, 500, `sandbox error: ${(err as Error).message}`);
        else res.destroy();
      }
    },
  );

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  origin = `https://127.0.0.1:${port}`;
  if (options.caFile) await writeFile(options.caFile, certificate.caPem, { mode: 0o644 });

  const control: SandboxControl = {
    setAccount(provider, account) {
      state.accounts[provider] = withDisplayName(account);
    },
    account: (provider) => ({ ...state.accounts[provider] }),
    configure(provider, behaviour) {
      Object.assign(state.behaviour[provider], behaviour);
    },
    behaviour: (provider) => ({ ...state.behaviour[provider] }),
    setRedirectUris(uris) {
      state.redirectPolicy = uris === 'any-loopback' ? uris : [...uris];
    },
    failNextTokenCalls(provider, failure, count = 1) {
      state.tokenFailures[provider].push({ failure, remaining: count });
    },
    failNextApiCalls(provider, failure, opts = 1) {
      const { count = 1, endpoint } = typeof opts === 'number' ? { count: opts } : opts;
      state.apiFailures[provider].push({ failure, remaining: count, ...(endpoint ? { endpoint } : {}) });
    },
    expireAccessTokens(provider) {
      const past = Date.now() - 1000;
      for (const t of state.accessTokens.values()) {
        if (!provider || t.grant.provider === provider) t.expiresAt = past;
      }
    },
    revokeRefreshTokens(provider) {
      for (const t of state.refreshTokens.values()) {
        if (!provider || t.grant.provider === provider) t.revoked = true;
      }
    },
    withdrawScopes(provider, scopes) {
      const gone = new Set(scopes.map((sc) => sc.toLowerCase()));
      const grants = new Set(
        [...state.accessTokens.values(), ...state.refreshTokens.values()].map((t) => t.grant),
      );
      for (const grant of grants) {
        if (grant.provider === provider)
          grant.scopes = grant.scopes.filter((sc) => !gone.has(sc.toLowerCase()));
      }
    },
    issueTokens(provider, opts = {}) {
      const { account, ...rest } = opts;
      return issueDirect(state, provider, {
        ...rest,
        ...(account ? { account: withDisplayName(account) } : {}),
      });
    },
    tokenStatus: (provider, token) => state.tokenStatus(provider, token),
    async consent(authorizationUrl, opts = {}) {
      const page = await request(authorizationUrl, certificate.caPem, { method: 'GET' });
      if (page.status === 302) return new URL(String(page.headers.location));
      if (page.status !== 200) {
        throw new Error(`consent page answered ${page.status}: ${page.body.replace(/<[^>]+>/g, ' ').trim()}`);
      }
      const requestId = /name="request" value="([^"]+)"/.exec(page.body)?.[1];
      const action = /<form method="post" action="([^"]+)"/.exec(page.body)?.[1];
      if (!requestId || !action) throw new Error('consent page without a form');
      const shown = /id="email" name="email" value="([^"]*)"/.exec(page.body)?.[1] ?? '';
      const email = opts.email ?? unescapeHtml(shown);
      const form = new URLSearchParams({ request: requestId, decision: opts.decision ?? 'allow', email });
      const answer = await request(new URL(action, origin).toString(), certificate.caPem, {
        method: 'POST',
        body: form.toString(),
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      });
      if (answer.status !== 302) throw new Error(`consent answered ${answer.status}: ${answer.body}`);
      return new URL(String(answer.headers.location));
    },
    tokenCalls: (provider, grantType) =>
      state.tokenRequests.filter((r) => r.provider === provider && (!grantType || r.grantType === grantType))
        .length,
    tokenRequests: (provider) => state.tokenRequests.filter((r) => !provider || r.provider === provider),
    lastTokenRequest: (provider) => state.tokenRequests.filter((r) => r.provider === provider).at(-1),
    revocations: (provider) => state.revocations.filter((r) => !provider || r.provider === provider),
    apiCalls: (provider, endpoint) =>
      state.apiCalls.filter(
        (r) => (!provider || r.provider === provider) && (!endpoint || r.endpoint === endpoint),
      ),
    files: (provider, accountId) =>
      describeDrive(state.drive(provider, accountId ?? state.accounts[provider].id)),
    fileId(provider, path, accountId) {
      const node = state
        .drive(provider, accountId ?? state.accounts[provider].id)
        .byPathLower.get(path.toLowerCase());
      if (!node) throw new Error(`no seeded ${provider} file at ${path}`);
      return node.id;
    },
    reviseFile(provider, path, change, accountId) {
      const node = state
        .drive(provider, accountId ?? state.accounts[provider].id)
        .byPathLower.get(path.toLowerCase());
      if (!node || node.kind === 'folder') throw new Error(`no seeded ${provider} file at ${path}`);
      reviseNode(node, change ?? {});
    },
    reset() {
      state.reset();
      applyInitialAccounts();
    },
  };

  return {
    origin,
    port,
    endpoints: endpointsFor(origin),
    caPem: certificate.caPem,
    clients,
    control,
    stop: () =>
      new Promise<void>((resolve) => {
        clearTimeout(persistTimer);
        persistTimer = undefined;
        persistNow();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
