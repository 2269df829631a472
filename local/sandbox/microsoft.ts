import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { type ApiErrors, apiGate, decodeCursor, encodeCursor } from './api.ts';
import type { AccountDrive, DriveNode } from './files.ts';
import { type RequestContext, type Route, redirect, sendBytes, sendJson, sendText } from './http.ts';
import { type OAuthSpec, oauthRoutes } from './oauth.ts';
import { type ApiCallRecord, isPersonalMicrosoftId, type SandboxState } from './state.ts';

const P = 'onedrive' as const;

export const MICROSOFT_PATHS = {
  authorize: '/microsoft/common/oauth2/v2.0/authorize',
  token: '/microsoft/common/oauth2/v2.0/token',
  graphBase: '/microsoft/graph/',
};
const GRAPH = '/microsoft/graph/v1.0';

const AADSTS: Record<string, number> = {
  invalid_grant: 70008,
  invalid_client: 7000215,
  invalid_request: 900144,
  unsupported_grant_type: 70003,
  server_error: 90033,
  temporarily_unavailable: 50196,
};

function aadError(error: string, description: string, subCode?: number): Record<string, unknown> {
  const code = subCode ?? AADSTS[error] ?? 90000;
  const traceId = randomUUID();
  const correlationId = randomUUID();
  const timestamp = new Date()
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, 'Z');
  return {
    error,
    error_description: `AADSTS${code}: ${description} Trace ID: ${traceId} Correlation ID: ${correlationId} Timestamp: ${timestamp}`,
    error_codes: [code],
    timestamp,
    trace_id: traceId,
    correlation_id: correlationId,
    error_uri: `https://login.microsoftonline.com/error?code=${code}`,
  };
}

function graphError(
  ctx: RequestContext,
  status: number,
  code: string,
  message: string,
  headers: Record<string, string> = {},
): void {
  sendJson(
    ctx.res,
    status,
    {
      error: {
        code,
        message,
        innerError: {
          date: new Date().toISOString().replace(/\.\d+Z$/, ''),
          'request-id': randomUUID(),
          'client-request-id': ctx.req.headers['client-request-id'] ?? randomUUID(),
        },
      },
    },
    headers,
  );
}

/** Delegated permissions that may read the signed-in user, and the user's files. */
const USER_SCOPES = ['User.Read', 'User.ReadWrite', 'User.ReadBasic.All', 'User.Read.All'];
const FILES_SCOPES = [
  'Files.Read',
  'Files.Read.All',
  'Files.ReadWrite',
  'Files.ReadWrite.All',
  'Sites.Read.All',
  'Sites.ReadWrite.All',
];

const errors: ApiErrors = {
  unauthorized: (ctx, problem) =>
    graphError(
      ctx,
      401,
      'InvalidAuthenticationToken',
      problem === 'missing'
        ? 'Access token is empty.'
        : problem === 'expired'
          ? 'Lifetime validation failed, the token is expired.'
          : 'Access token validation failure.',
      {
        'www-authenticate':
          'Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000"',
      },
    ),
  failure: (ctx, failure) => {
    switch (failure.kind) {
      case 'rate_limited':
      case 'user_rate_limit':
        return graphError(ctx, 429, 'activityLimitReached', 'The request has been throttled', {
          'retry-after': String('retryAfterSeconds' in failure ? (failure.retryAfterSeconds ?? 1) : 1),
        });
      case 'unavailable':
        return graphError(ctx, 503, 'serviceNotAvailable', 'Service unavailable', {
          'retry-after': String(failure.retryAfterSeconds ?? 1),
        });
      case 'server_error':
        return graphError(ctx, 500, 'generalException', 'An unspecified error has occurred.');
    }
  },
  requiredScopes: {
    me: USER_SCOPES,
    drive: FILES_SCOPES,
    item: FILES_SCOPES,
    children: FILES_SCOPES,
    content: FILES_SCOPES,
  },
  insufficientScope: (ctx) =>
    graphError(ctx, 403, 'accessDenied', 'The caller does not have permission to perform the action.'),
};

const ITEM_FIELDS = new Set([
  'id',
  'name',
  'size',
  'createdDateTime',
  'lastModifiedDateTime',
  'webUrl',
  'eTag',
  'cTag',
  'parentReference',
  'folder',
  'file',
  'root',
  'fileSystemInfo',
  'createdBy',
  'lastModifiedBy',
  '@microsoft.graph.downloadUrl',
]);

const USER_FIELDS = new Set([
  'id',
  'displayName',
  'mail',
  'userPrincipalName',
  'givenName',
  'surname',
  'businessPhones',
  'jobTitle',
  'mobilePhone',
  'officeLocation',
  'preferredLanguage',
]);

function parseSelect(raw: string | null, allowed: ReadonlySet<string>): string[] | undefined | string {
  if (raw === null) return undefined;
  const names = raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const bad = names.find((n) => !allowed.has(n));
  return bad ?? names;
}

function folderSize(node: DriveNode): number {
  return node.kind === 'folder' ? node.children.reduce((sum, c) => sum + folderSize(c), 0) : node.size;
}

/** Graph's resource URL, which Microsoft may prefix to every delegated scope it reports as granted. */
const GRAPH_RESOURCE = 'https://graph.microsoft.com/';
/** The OpenID Connect scopes, reported without a resource. */
const OPENID_SCOPES = new Set(['openid', 'profile', 'email']);

export function microsoftRoutes(state: SandboxState, origin: () => string): Route[] {
  const spec: OAuthSpec = {
    provider: P,
    name: 'Microsoft',
    authorizePath: /^\/microsoft\/[\w.-]+\/oauth2\/v2\.0\/authorize$/,
    tokenPath: /^\/microsoft\/[\w.-]+\/oauth2\/v2\.0\/token$/,
    scopeRequired: true,
    defaultScopes: [],
    offlineRequested: (_params, scopes) => scopes.includes('offline_access'),
    forceConsent: (params) => params.get('prompt') === 'consent',
    refreshOnlyOnFirstConsent: false,
    secretOptionalWithPkce: false,
    denyDescription: 'AADSTS65004: User declined to consent to access the app.',
    responseScopes: (granted) => {
      const shape = state.behaviour[P].scopeShape;
      const named = granted
        .filter((s) => s !== 'offline_access')
        .map((s) => (shape === 'short' || OPENID_SCOPES.has(s) ? s : `${GRAPH_RESOURCE}${s}`));
      return shape === 'qualified_lowercase' ? named.map((s) => s.toLowerCase()) : named;
    },
    tokenBody: (t, tokenType) => ({
      token_type: tokenType,
      scope: t.scope,
      expires_in: t.expiresIn,
      ext_expires_in: t.expiresIn,
      access_token: t.accessToken,
      ...(t.refreshToken ? { refresh_token: t.refreshToken } : {}),
    }),
    errorBody: aadError,
    throttleBody: () => aadError('temporarily_unavailable', 'The service is temporarily unavailable.'),
  };

  // A personal account's drive id is its own id.
  const driveId = (accountId: string) =>
    isPersonalMicrosoftId(accountId)
      ? accountId.toLowerCase()
      : createHash('sha256').update(`drive\u0000${accountId}`).digest('hex').slice(0, 16);

  const downloadUrl = (accountId: string, fileId: string): string => {
    const now = Date.now();
    for (const [k, d] of state.downloads) if (d.expiresAt < now) state.downloads.delete(k);
    const token = randomBytes(24).toString('base64url');
    state.downloads.set(token, {
      provider: P,
      accountId,
      fileId,
      expiresAt: now + state.behaviour[P].downloadUrlTtlSeconds * 1000,
    });
    return `${origin()}/microsoft/download/${token}`;
  };

  const driveItem = (node: DriveNode, accountId: string, select: string[] | undefined) => {
    const want = (name: string) => !select || select.includes(name);
    const dId = driveId(accountId);
    const parentPath = node.parent
      ? `/drive/root:${node.parent.path === '/' ? '' : node.parent.path.split('/').map(encodeURIComponent).join('/')}`
      : undefined;
    const item: Record<string, unknown> = {
      '@odata.etag': `"{${node.id}},${node.version}"`,
      createdDateTime: node.modifiedTime,
      cTag: `"c:{${node.id}},${node.version}"`,
      eTag: `"{${node.id}},${node.version}"`,
      id: node.id,
      lastModifiedDateTime: node.modifiedTime,
      name: node.name,
      size: folderSize(node),
      webUrl: `https://onedrive.live.com/?id=${encodeURIComponent(node.id)}`,
      parentReference: node.parent
        ? { driveType: 'personal', driveId: dId, id: node.parent.id, path: parentPath }
        : { driveType: 'personal', driveId: dId },
      fileSystemInfo: { createdDateTime: node.modifiedTime, lastModifiedDateTime: node.modifiedTime },
    };
    if (node.kind === 'folder') item.folder = { childCount: node.children.length };
    else item.file = { mimeType: node.mimeType };
    if (!node.parent) item.root = {};
    if (node.kind === 'file' && want('@microsoft.graph.downloadUrl')) {
      item['@microsoft.graph.downloadUrl'] = downloadUrl(accountId, node.id);
    }
    if (!select) return item;
    // $select keeps only what was asked for (Graph adds the etag annotation).
    return Object.fromEntries(
      Object.entries(item).filter(([k]) => k === '@odata.etag' || select.includes(k)),
    );
  };

  const itemFrom = (drive: AccountDrive, raw: string): DriveNode | undefined => {
    const id = decodeURIComponent(raw);
    return id === 'root' ? drive.root : drive.byId.get(id);
  };

  const notFound = (ctx: RequestContext) =>
    graphError(ctx, 404, 'itemNotFound', 'The resource could not be found.');

  const selectOrFail = (ctx: RequestContext, allowed: ReadonlySet<string>, type: string) => {
    const select = parseSelect(ctx.url.searchParams.get('$select'), allowed);
    if (typeof select === 'string') {
      graphError(ctx, 400, 'BadRequest', `Could not find a property named '${select}' on type '${type}'.`);
      return null;
    }
    return select;
  };

  const me = async (ctx: RequestContext) => {
    const call = await apiGate(ctx, state, P, errors, 'me');
    if (!call) return;
    const select = selectOrFail(ctx, USER_FIELDS, 'microsoft.graph.user');
    if (select === null) return;
    const { account } = call;
    const [givenName, ...rest] = account.displayName.split(' ');
    const user: Record<string, unknown> = {
      businessPhones: [],
      displayName: account.displayName,
      givenName: givenName ?? null,
      jobTitle: null,
      // Personal accounts have no `mail`: the address is the user principal name.
      mail: isPersonalMicrosoftId(account.id) ? null : account.email,
      mobilePhone: null,
      officeLocation: null,
      preferredLanguage: null,
      surname: rest.join(' ') || null,
      userPrincipalName: account.email,
      id: account.id,
    };
    const body = select ? Object.fromEntries(Object.entries(user).filter(([k]) => select.includes(k))) : user;
    sendJson(ctx.res, 200, {
      '@odata.context': `${origin()}${GRAPH}/$metadata#users${select ? `(${select.join(',')})` : ''}/$entity`,
      ...body,
    });
  };

  const drive = async (ctx: RequestContext) => {
    const call = await apiGate(ctx, state, P, errors, 'drive');
    if (!call) return;
    sendJson(ctx.res, 200, {
      '@odata.context': `${origin()}${GRAPH}/$metadata#drives/$entity`,
      id: driveId(call.account.id),
      driveType: 'personal',
      name: 'OneDrive',
      owner: { user: { id: call.account.id, displayName: call.account.displayName } },
      quota: { total: 5368709120, used: 1300000, remaining: 5367409120, state: 'normal' },
    });
  };

  const item = async (ctx: RequestContext, match: RegExpExecArray) => {
    const call = await apiGate(ctx, state, P, errors, 'item');
    if (!call) return;
    const node = itemFrom(state.drive(P, call.account.id), match[1] ?? 'root');
    if (!node) return notFound(ctx);
    const select = selectOrFail(ctx, ITEM_FIELDS, 'microsoft.graph.driveItem');
    if (select === null) return;
    sendJson(ctx.res, 200, {
      '@odata.context': `${origin()}${GRAPH}/$metadata#users('${encodeURIComponent(call.account.email)}')/drive/items/$entity`,
      ...driveItem(node, call.account.id, select),
    });
  };

  /** `scope`: the listing was addressed by drive id or user id; only the caller's own drive is found. */
  const children = async (
    ctx: RequestContext,
    match: RegExpExecArray,
    scope?: { kind: 'drives' | 'users'; id: string },
  ) => {
    const call = await apiGate(ctx, state, P, errors, 'children');
    if (!call) return;
    if (scope?.kind === 'drives' && scope.id.toLowerCase() !== driveId(call.account.id).toLowerCase())
      return notFound(ctx);
    if (scope?.kind === 'users' && scope.id.toLowerCase() !== call.account.id.toLowerCase())
      return graphError(ctx, 403, 'accessDenied', 'Access denied');
    const node = itemFrom(state.drive(P, call.account.id), match[1] ?? 'root');
    if (!node) return notFound(ctx);
    if (node.kind !== 'folder') return graphError(ctx, 400, 'invalidRequest', 'Item is not a folder.');
    const params = ctx.url.searchParams;
    if (params.has('$filter')) {
      return graphError(ctx, 400, 'invalidRequest', '$filter is not supported on this collection.');
    }
    const select = selectOrFail(ctx, ITEM_FIELDS, 'microsoft.graph.driveItem');
    if (select === null) return;
    const topRaw = params.get('$top');
    const top = topRaw === null ? 200 : Number(topRaw);
    if (!Number.isInteger(top) || top < 1 || top > 1000) {
      return graphError(ctx, 400, 'invalidRequest', `Invalid $top value: ${topRaw}`);
    }
    const binding = `${call.account.id}\u0000${node.id}`;
    let offset = 0;
    const skip = params.get('$skiptoken');
    if (skip !== null) {
      const cursor = decodeCursor(skip);
      if (!cursor || cursor.b !== createHash('sha256').update(binding).digest('base64url').slice(0, 16)) {
        return graphError(ctx, 400, 'invalidRequest', 'Invalid skip token.');
      }
      offset = Number(cursor.o) || 0;
    }
    const sorted = [...node.children].sort(
      (a, b) => (a.kind === 'folder' ? 0 : 1) - (b.kind === 'folder' ? 0 : 1) || a.name.localeCompare(b.name),
    );
    const page = sorted.slice(offset, offset + top);
    let nextLink: string | undefined;
    if (offset + top < sorted.length) {
      const token = encodeCursor({
        b: createHash('sha256').update(binding).digest('base64url').slice(0, 16),
        o: offset + top,
      });
      // Graph keeps `$` unencoded in its links; the Graph SDK re-parses them verbatim.
      const query = [
        ...(topRaw !== null ? [`$top=${top}`] : []),
        ...(select ? [`$select=${select.map(encodeURIComponent).join(',')}`] : []),
        `$skiptoken=${token}`,
      ].join('&');
      nextLink = nextPageLink(node, call.account.id, ctx.url.pathname, query);
    }
    sendJson(ctx.res, 200, {
      '@odata.context': `${origin()}${GRAPH}/$metadata#users('${encodeURIComponent(call.account.email)}')/drive/items('${node.id}')/children`,
      ...(nextLink ? { '@odata.nextLink': nextLink } : {}),
      value: page.map((child) => driveItem(child, call.account.id, select)),
    });
  };

  /** The next page's address in the form the `nextLinkForm` knob asks for (see ProviderBehaviour). */
  const nextPageLink = (node: DriveNode, accountId: string, requested: string, query: string): string => {
    const item = (prefix: string) =>
      node.parent ? `${prefix}/items/${encodeURIComponent(node.id)}/children` : `${prefix}/root/children`;
    switch (state.behaviour[P].nextLinkForm) {
      case 'as_requested':
        return `${origin()}${requested}?${query}`;
      case 'me_items':
        return `${origin()}${GRAPH}/me/drive/items/${encodeURIComponent(node.id)}/children?${query}`;
      case 'drives':
        return `${origin()}${GRAPH}${item(`/drives/${driveId(accountId)}`)}?${query}`;
      case 'users':
        return `${origin()}${GRAPH}${item(`/users/${encodeURIComponent(accountId)}/drive`)}?${query}`;
      case 'other_drive':
        return `${origin()}${GRAPH}${item(`/drives/${driveId(`someone-else\u0000${accountId}`)}`)}?${query}`;
      case 'other_host':
        return `https://graph.sandbox.invalid${requested}?${query}`;
    }
  };

  /**
   * The same children listing addressed by drive id or user id: only the caller's own drive is found (Graph
   * answers another drive or user it may not read with 404 itemNotFound / 403 accessDenied).
   */
  const childrenOf =
    (kind: 'drives' | 'users') =>
    (ctx: RequestContext, match: RegExpExecArray): Promise<void> =>
      children(
        ctx,
        Object.assign([match[0], match[2]], { index: 0, input: match.input }) as RegExpExecArray,
        {
          kind,
          id: decodeURIComponent(match[1]!),
        },
      );

  const content = async (ctx: RequestContext, match: RegExpExecArray) => {
    const call = await apiGate(ctx, state, P, errors, 'content');
    if (!call) return;
    const node = itemFrom(state.drive(P, call.account.id), match[1]!);
    if (!node) return notFound(ctx);
    if (node.kind !== 'file') return notFound(ctx);
    redirect(ctx.res, downloadUrl(call.account.id, node.id));
  };

  /** The pre-authenticated URL `/content` redirects to: no Authorization needed (nor expected). */
  const download = (ctx: RequestContext, match: RegExpExecArray) => {
    const record: ApiCallRecord = {
      provider: P,
      endpoint: 'download_url',
      method: ctx.method,
      path: '/microsoft/download/…',
      authorizationHeader: ctx.req.headers.authorization !== undefined,
      tokenInUrl: false,
    };
    state.apiCalls.push(record);
    ctx.res.on('finish', () => {
      record.status = ctx.res.statusCode;
    });
    const entry = state.downloads.get(match[1]!);
    if (!entry || entry.expiresAt < Date.now()) {
      return sendText(ctx.res, 401, 'The download URL is invalid or has expired.');
    }
    record.accountId = entry.accountId;
    const node = state.drive(P, entry.accountId).byId.get(entry.fileId);
    if (!node?.content) return sendText(ctx.res, 404, 'Not found');
    sendBytes(ctx.res, 200, node.content(), {
      'content-type': node.mimeType,
      'content-disposition': `attachment; filename*=UTF-8''${encodeURIComponent(node.name)}`,
    });
  };

  return [
    ...oauthRoutes(spec, state),
    { method: 'GET', pattern: /^\/microsoft\/graph\/v1\.0\/me$/, handler: me },
    { method: 'GET', pattern: /^\/microsoft\/graph\/v1\.0\/me\/drive$/, handler: drive },
    { method: 'GET', pattern: /^\/microsoft\/graph\/v1\.0\/me\/drive\/root$/, handler: item },
    { method: 'GET', pattern: /^\/microsoft\/graph\/v1\.0\/me\/drive\/root\/children$/, handler: children },
    { method: 'GET', pattern: /^\/microsoft\/graph\/v1\.0\/me\/drive\/items\/([^/]+)$/, handler: item },
    {
      method: 'GET',
      pattern: /^\/microsoft\/graph\/v1\.0\/me\/drive\/items\/([^/]+)\/children$/,
      handler: children,
    },
    {
      method: 'GET',
      pattern: /^\/microsoft\/graph\/v1\.0\/drives\/([^/]+)\/(?:root|items\/([^/]+))\/children$/,
      handler: childrenOf('drives'),
    },
    {
      method: 'GET',
      pattern: /^\/microsoft\/graph\/v1\.0\/users\/([^/]+)\/drive\/(?:root|items\/([^/]+))\/children$/,
      handler: childrenOf('users'),
    },
    {
      method: 'GET',
      pattern: /^\/microsoft\/graph\/v1\.0\/me\/drive\/items\/([^/]+)\/content$/,
      handler: content,
    },
    { method: 'GET', pattern: /^\/microsoft\/download\/([\w-]+)$/, handler: download },
  ];
}
