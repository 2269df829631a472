import { createHash } from 'node:crypto';
import { type ApiCall, type ApiErrors, apiGate, decodeCursor, encodeCursor } from './api.ts';
import { type AccountDrive, contentDigest, type DriveNode } from './files.ts';
import { type RequestContext, type Route, sendBytes, sendJson, sendText, sleep } from './http.ts';
import { type OAuthSpec, oauthRoutes } from './oauth.ts';
import type { SandboxState } from './state.ts';

const P = 'dropbox' as const;

export const DROPBOX_PATHS = {
  authorize: '/dropbox/www/oauth2/authorize',
  token: '/dropbox/api/oauth2/token',
  revoke: '/dropbox/api/2/auth/token/revoke',
  api: '/dropbox/api',
  content: '/dropbox/content',
};

export const DROPBOX_APP_SCOPES = ['account_info.read', 'files.metadata.read', 'files.content.read'];

const throttleBody = (retryAfter: number) => ({
  error_summary: 'too_many_requests/..',
  error: { reason: { '.tag': 'too_many_requests' }, retry_after: retryAfter },
});

const errors: ApiErrors = {
  unauthorized: (ctx, problem) => {
    if (problem === 'missing') {
      // Dropbox answers a missing header with a plain-text 400, not a 401.
      return sendText(
        ctx.res,
        400,
        `Error in call to API function "${functionName(ctx)}": Must provide HTTP header "Authorization" or URL parameter "authorization".`,
      );
    }
    const tag = problem === 'expired' ? 'expired_access_token' : 'invalid_access_token';
    sendJson(
      ctx.res,
      401,
      { error_summary: `${tag}/`, error: { '.tag': tag } },
      { 'www-authenticate': 'Bearer realm="Dropbox-API"' },
    );
  },
  failure: (ctx, failure) => {
    switch (failure.kind) {
      case 'rate_limited':
      case 'user_rate_limit': {
        const retryAfter = 'retryAfterSeconds' in failure ? (failure.retryAfterSeconds ?? 1) : 1;
        return sendJson(ctx.res, 429, throttleBody(retryAfter), { 'retry-after': String(retryAfter) });
      }
      case 'unavailable': {
        const retryAfter = failure.retryAfterSeconds ?? 1;
        return sendText(ctx.res, 503, 'Service Unavailable', { 'retry-after': String(retryAfter) });
      }
      case 'server_error':
        return sendText(ctx.res, 500, 'Internal Server Error');
    }
  },
  requiredScopes: {
    get_current_account: ['account_info.read'],
    list_folder: ['files.metadata.read', 'files.metadata.write'],
    'list_folder/continue': ['files.metadata.read', 'files.metadata.write'],
    get_metadata: ['files.metadata.read', 'files.metadata.write'],
    download: ['files.content.read', 'files.content.write'],
  },
  insufficientScope: (ctx, anyOf) =>
    sendJson(
      ctx.res,
      401,
      { error_summary: 'missing_scope/', error: { '.tag': 'missing_scope', required_scope: anyOf[0] } },
      { 'www-authenticate': 'Bearer realm="Dropbox-API"' },
    ),
};

function functionName(ctx: RequestContext): string {
  return ctx.url.pathname.replace(/^\/dropbox\/(?:api|content)\/2\//, '');
}

const badInput = (ctx: RequestContext, message: string) =>
  sendText(ctx.res, 400, `Error in call to API function "${functionName(ctx)}": ${message}`);

const routeError = (ctx: RequestContext, summary: string, error: unknown) =>
  sendJson(ctx.res, 409, { error_summary: `${summary}/..`, error });

const notFound = (ctx: RequestContext, tag = 'path') =>
  routeError(ctx, `${tag}/not_found`, { '.tag': tag, [tag]: { '.tag': 'not_found' } });

/** The RPC argument: JSON with `Content-Type: application/json`, or nothing for argument-less endpoints. */
async function rpcArg(
  ctx: RequestContext,
  required: boolean,
): Promise<{ ok: true; arg: unknown } | { ok: false }> {
  const raw = (await ctx.body()).toString('utf8');
  const type = ctx.req.headers['content-type'];
  if (!raw && !required && !type) return { ok: true, arg: null };
  if (!/^application\/json(;\s*charset=utf-8)?$/i.test(type ?? '')) {
    badInput(
      ctx,
      `Bad HTTP "Content-Type" header: "${type ?? ''}".  Expecting one of "application/json", "application/json; charset=utf-8", "text/plain; charset=dropbox-cors-hack".`,
    );
    return { ok: false };
  }
  try {
    const arg = JSON.parse(raw || 'null') as unknown;
    if (required && (!arg || typeof arg !== 'object')) {
      badInput(ctx, 'request body: expected an object');
      return { ok: false };
    }
    return { ok: true, arg };
  } catch {
    badInput(ctx, 'request body: could not decode input as JSON');
    return { ok: false };
  }
}

/** Dropbox's path argument pattern: "" (root), "/…", "id:…" (ns: paths are not seeded). */
function resolvePath(drive: AccountDrive, path: string): DriveNode | undefined {
  if (path === '') return drive.root;
  if (path.startsWith('id:')) return drive.byId.get(path);
  return drive.byPathLower.get(path.toLowerCase().replace(/\/+$/, ''));
}

function validPathArg(path: unknown): path is string {
  return typeof path === 'string' && (path === '' || /^(\/(.|[\r\n])*|id:.+)$/.test(path)) && path !== '/';
}

function metadata(node: DriveNode): Record<string, unknown> {
  const common = {
    name: node.name,
    path_lower: node.path.toLowerCase(),
    path_display: node.path,
    id: node.id,
  };
  if (node.kind === 'folder') return { '.tag': 'folder', ...common };
  return {
    '.tag': 'file',
    ...common,
    client_modified: node.modifiedTime,
    server_modified: node.modifiedTime,
    rev: createHash('sha1')
      .update(node.version > 1 ? `${node.id}.${node.version}` : node.id)
      .digest('hex')
      .slice(0, 15),
    size: node.size,
    is_downloadable: true,
    content_hash: contentDigest(node, 'sha256'),
  };
}

/** The SDK's httpHeaderSafeJson: JSON with every non-ASCII character escaped. */
function headerSafeJson(value: unknown): string {
  return JSON.stringify(value).replace(
    /[\u007f-\uffff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

function flatten(node: DriveNode, recursive: boolean): DriveNode[] {
  const sorted = [...node.children].sort(
    (a, b) => (a.kind === 'folder' ? 0 : 1) - (b.kind === 'folder' ? 0 : 1) || a.name.localeCompare(b.name),
  );
  if (!recursive) return sorted;
  return sorted.flatMap((c) => [c, ...(c.kind === 'folder' ? flatten(c, true) : [])]);
}

export function dropboxRoutes(state: SandboxState): Route[] {
  const uid = (accountId: string) =>
    String(Number.parseInt(createHash('sha256').update(accountId).digest('hex').slice(0, 10), 16));

  const spec: OAuthSpec = {
    provider: P,
    name: 'Dropbox',
    authorizePath: /^\/dropbox\/www\/oauth2\/authorize$/,
    tokenPath: /^\/dropbox\/api\/oauth2\/token$/,
    scopeRequired: false,
    defaultScopes: DROPBOX_APP_SCOPES,
    offlineRequested: (params) => params.get('token_access_type') === 'offline',
    forceConsent: () => true,
    refreshOnlyOnFirstConsent: false,
    secretOptionalWithPkce: true,
    denyDescription: 'The user chose not to give your app access to their Dropbox account.',
    responseScopes: (granted) => granted,
    tokenBody: (t) => ({
      access_token: t.accessToken,
      token_type: 'bearer',
      expires_in: t.expiresIn,
      ...(t.refreshToken ? { refresh_token: t.refreshToken } : {}),
      scope: t.scope,
      uid: uid(t.account.id),
      account_id: t.account.id,
    }),
    errorBody: (error, description) => ({ error, error_description: description }),
    throttleBody: (_status, retryAfter) => throttleBody(retryAfter),
  };

  /**
   * Answers a listing after `listingLatencyMs`; with `throttleIdenticalListings`, an identical one (same account,
   * endpoint and arguments) arriving meanwhile gets 429 too_many_requests with Retry-After 1.
   */
  const throttled = async (ctx: RequestContext, call: ApiCall, key: string, answer: () => void) => {
    const behaviour = state.behaviour[P];
    const inFlight = `${call.account.id}\u0000${key}`;
    if (behaviour.throttleIdenticalListings && state.listingsInFlight.has(inFlight)) {
      return sendJson(ctx.res, 429, throttleBody(1), { 'retry-after': '1' });
    }
    state.listingsInFlight.add(inFlight);
    try {
      if (behaviour.listingLatencyMs > 0) await sleep(behaviour.listingLatencyMs);
      answer();
    } finally {
      state.listingsInFlight.delete(inFlight);
    }
  };

  const listing = (
    ctx: RequestContext,
    call: ApiCall,
    folder: DriveNode,
    recursive: boolean,
    limit: number,
    offset: number,
  ) => {
    const all = flatten(folder, recursive);
    const page = all.slice(offset, offset + limit);
    const next = offset + page.length;
    sendJson(ctx.res, 200, {
      entries: page.map(metadata),
      cursor: encodeCursor({ a: call.account.id, f: folder.id, r: recursive, l: limit, o: next }),
      has_more: next < all.length,
    });
  };

  const listFolder = async (ctx: RequestContext) => {
    const call = await apiGate(ctx, state, P, errors, 'list_folder');
    if (!call) return;
    const parsed = await rpcArg(ctx, true);
    if (!parsed.ok) return;
    const arg = parsed.arg as { path?: unknown; limit?: unknown; recursive?: unknown };
    if (!validPathArg(arg.path)) {
      return badInput(
        ctx,
        `request body: path: '${String(arg.path)}' did not match pattern '(/(.|[\\r\\n])*)?|id:.*|(ns:[0-9]+(/.*)?)'`,
      );
    }
    const limit = arg.limit === undefined ? 2000 : arg.limit;
    if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > 2000) {
      return badInput(ctx, `request body: limit: ${String(limit)} is not within range [1, 2000]`);
    }
    const node = resolvePath(state.drive(P, call.account.id), arg.path);
    if (!node) return notFound(ctx);
    if (node.kind !== 'folder')
      return routeError(ctx, 'path/not_folder', { '.tag': 'path', path: { '.tag': 'not_folder' } });
    const recursive = arg.recursive === true;
    await throttled(ctx, call, JSON.stringify(['list_folder', node.id, recursive, limit]), () =>
      listing(ctx, call, node, recursive, limit, 0),
    );
  };

  const listFolderContinue = async (ctx: RequestContext) => {
    const call = await apiGate(ctx, state, P, errors, 'list_folder/continue');
    if (!call) return;
    const parsed = await rpcArg(ctx, true);
    if (!parsed.ok) return;
    const raw = (parsed.arg as { cursor?: unknown }).cursor;
    const cursor = typeof raw === 'string' ? decodeCursor(raw) : undefined;
    if (!cursor || cursor.a !== call.account.id || typeof cursor.f !== 'string') {
      return badInput(ctx, 'Invalid "cursor" parameter');
    }
    const folder = state.drive(P, call.account.id).byId.get(cursor.f);
    if (!folder) return routeError(ctx, 'reset', { '.tag': 'reset' });
    await throttled(ctx, call, JSON.stringify(['list_folder/continue', raw]), () =>
      listing(ctx, call, folder, cursor.r === true, Number(cursor.l) || 2000, Number(cursor.o) || 0),
    );
  };

  const getMetadata = async (ctx: RequestContext) => {
    const call = await apiGate(ctx, state, P, errors, 'get_metadata');
    if (!call) return;
    const parsed = await rpcArg(ctx, true);
    if (!parsed.ok) return;
    const path = (parsed.arg as { path?: unknown }).path;
    if (!validPathArg(path) || path === '') return badInput(ctx, 'request body: path: invalid');
    const node = resolvePath(state.drive(P, call.account.id), path);
    if (!node) return notFound(ctx);
    sendJson(ctx.res, 200, metadata(node));
  };

  const download = async (ctx: RequestContext) => {
    const call = await apiGate(ctx, state, P, errors, 'download');
    if (!call) return;
    await ctx.body();
    const header = ctx.req.headers['dropbox-api-arg'];
    const rawArg = typeof header === 'string' ? header : ctx.url.searchParams.get('arg');
    let arg: { path?: unknown };
    try {
      arg = JSON.parse(rawArg ?? '') as { path?: unknown };
    } catch {
      return badInput(ctx, 'HTTP header "Dropbox-API-Arg": could not decode input as JSON');
    }
    if (!validPathArg(arg?.path) || arg.path === '') {
      return badInput(ctx, 'HTTP header "Dropbox-API-Arg": path: invalid');
    }
    const node = resolvePath(state.drive(P, call.account.id), arg.path);
    if (!node) return notFound(ctx);
    if (node.kind !== 'file')
      return routeError(ctx, 'path/not_file', { '.tag': 'path', path: { '.tag': 'not_file' } });
    sendBytes(ctx.res, 200, node.content!(), {
      'content-type': 'application/octet-stream',
      'dropbox-api-result': headerSafeJson(metadata(node)),
    });
  };

  const currentAccount = async (ctx: RequestContext) => {
    const call = await apiGate(ctx, state, P, errors, 'get_current_account');
    if (!call) return;
    const parsed = await rpcArg(ctx, false);
    if (!parsed.ok) return;
    if (parsed.arg !== null) return badInput(ctx, 'request body: expected null, got value');
    const { account } = call;
    const [given = '', ...rest] = account.displayName.split(' ');
    const surname = rest.join(' ');
    sendJson(ctx.res, 200, {
      account_id: account.id,
      name: {
        given_name: given,
        surname,
        familiar_name: given,
        display_name: account.displayName,
        abbreviated_name: `${given[0] ?? ''}${surname[0] ?? ''}`.toUpperCase(),
      },
      email: account.email,
      email_verified: true,
      disabled: false,
      country: 'GB',
      locale: 'en',
      referral_link: 'https://db.tt/sandbox',
      is_paired: false,
      account_type: { '.tag': 'basic' },
      root_info: { '.tag': 'user', root_namespace_id: uid(account.id), home_namespace_id: uid(account.id) },
    });
  };

  const revoke = async (ctx: RequestContext) => {
    const call = await apiGate(ctx, state, P, errors, 'token/revoke');
    if (!call) return;
    const parsed = await rpcArg(ctx, false);
    if (!parsed.ok) return;
    state.revocations.push({ provider: P, token: call.token.token, tokenType: 'access', via: 'header' });
    // Revoking a short-lived token ends the whole authorization, refresh token included.
    call.token.grant.revoked = true;
    sendJson(ctx.res, 200, null);
  };

  return [
    ...oauthRoutes(spec, state),
    { method: 'POST', pattern: /^\/dropbox\/api\/2\/auth\/token\/revoke$/, handler: revoke },
    { method: 'POST', pattern: /^\/dropbox\/api\/2\/users\/get_current_account$/, handler: currentAccount },
    { method: 'POST', pattern: /^\/dropbox\/api\/2\/files\/list_folder$/, handler: listFolder },
    {
      method: 'POST',
      pattern: /^\/dropbox\/api\/2\/files\/list_folder\/continue$/,
      handler: listFolderContinue,
    },
    { method: 'POST', pattern: /^\/dropbox\/api\/2\/files\/get_metadata$/, handler: getMetadata },
    { method: 'POST', pattern: /^\/dropbox\/content\/2\/files\/download$/, handler: download },
  ];
}
