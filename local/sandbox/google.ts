import { createHash } from 'node:crypto';
import { type ApiErrors, apiGate, decodeCursor, encodeCursor } from './api.ts';
import { FieldSyntaxError, type FieldTree, parseFields, selectFields, unknownFields } from './fields.ts';
import { contentDigest, type DriveNode } from './files.ts';
import { isFormBody, type RequestContext, type Route, sendBytes, sendJson } from './http.ts';
import { type OAuthSpec, oauthRoutes } from './oauth.ts';
import type { SandboxState } from './state.ts';

const P = 'google_drive' as const;

export const GOOGLE_PATHS = {
  authorize: '/google/o/oauth2/v2/auth',
  token: '/google/token',
  revoke: '/google/revoke',
  userinfo: '/google/v1/userinfo',
  /**
   * Drive lives at the origin's root: googleapis-common rebases each request with `new URL('/drive/v3/…',
   * rootUrl)`, so any path in `rootUrl` is dropped and only its origin counts.
   */
  driveRoot: '/',
};

const STATUS_NAMES: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL',
  503: 'UNAVAILABLE',
};

function googleError(
  ctx: RequestContext,
  code: number,
  reason: string,
  message: string,
  extra: { domain?: string; location?: string; locationType?: string; headers?: Record<string, string> } = {},
): void {
  const { headers = {}, domain = 'global', ...where } = extra;
  sendJson(
    ctx.res,
    code,
    { error: { code, message, errors: [{ message, domain, reason, ...where }], status: STATUS_NAMES[code] } },
    headers,
  );
}

/**
 * Where a listing continues: the start (no pageToken), or the page token's offset when the token was issued for
 * this listing (`binding`); undefined for anything else (Drive answers 400 invalid pageToken).
 */
function pageCursor(params: URLSearchParams, binding: string): { o: number; e?: unknown } | undefined {
  const raw = params.get('pageToken');
  if (!raw) return { o: 0 };
  const cursor = decodeCursor(raw);
  if (!cursor || cursor.b !== binding || typeof cursor.o !== 'number') return undefined;
  return { o: cursor.o, e: cursor.e };
}

const invalidPageToken = (ctx: RequestContext): void =>
  googleError(ctx, 400, 'invalid', 'Invalid Value', { location: 'pageToken', locationType: 'parameter' });

const DRIVE = 'https://www.googleapis.com/auth/drive';
/** Drive scopes that may read metadata, and those that may read content (drive.file: only the app's files). */
const METADATA_SCOPES = [
  DRIVE,
  `${DRIVE}.readonly`,
  `${DRIVE}.file`,
  `${DRIVE}.metadata`,
  `${DRIVE}.metadata.readonly`,
];
const CONTENT_SCOPES = [DRIVE, `${DRIVE}.readonly`, `${DRIVE}.file`];
const OPENID_SCOPES = [
  'openid',
  'email',
  'profile',
  'https://www.googleapis.com/auth/userinfo.email',
  'https://www.googleapis.com/auth/userinfo.profile',
];

const errors: ApiErrors = {
  unauthorized: (ctx, problem) =>
    googleError(
      ctx,
      401,
      problem === 'missing' ? 'required' : 'authError',
      problem === 'missing'
        ? 'Request is missing required authentication credential. Expected OAuth 2 access token, login cookie or other valid authentication credential.'
        : 'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.',
      {
        location: 'Authorization',
        locationType: 'header',
        headers: { 'www-authenticate': 'Bearer realm="https://accounts.google.com/", error="invalid_token"' },
      },
    ),
  failure: (ctx, failure) => {
    switch (failure.kind) {
      case 'user_rate_limit': {
        const reason = failure.reason ?? 'userRateLimitExceeded';
        return googleError(
          ctx,
          403,
          reason,
          reason === 'userRateLimitExceeded' ? 'User Rate Limit Exceeded' : 'Rate Limit Exceeded',
          {
            domain: 'usageLimits',
          },
        );
      }
      case 'rate_limited':
        return googleError(ctx, 429, 'rateLimitExceeded', 'Rate Limit Exceeded', {
          domain: 'usageLimits',
          ...(failure.retryAfterSeconds !== undefined
            ? { headers: { 'retry-after': String(failure.retryAfterSeconds) } }
            : {}),
        });
      case 'unavailable':
        return googleError(ctx, 503, 'backendError', 'Backend Error', {
          headers: { 'retry-after': String(failure.retryAfterSeconds ?? 1) },
        });
      case 'server_error':
        return googleError(ctx, 500, 'internalError', 'Internal Error');
    }
  },
  requiredScopes: {
    'files.list': METADATA_SCOPES,
    'files.get': METADATA_SCOPES,
    'about.get': METADATA_SCOPES,
    'drives.list': [DRIVE, `${DRIVE}.readonly`],
    'files.download': CONTENT_SCOPES,
    'files.export': CONTENT_SCOPES,
    'files.exportLink': CONTENT_SCOPES,
    userinfo: OPENID_SCOPES,
  },
  insufficientScope: (ctx, anyOf) =>
    googleError(ctx, 403, 'insufficientPermissions', 'Request had insufficient authentication scopes.', {
      headers: {
        'www-authenticate': `Bearer realm="https://accounts.google.com/", error="insufficient_scope", scope="${anyOf.join(' ')}"`,
      },
    }),
};

const LIST_FIELDS = new Set(['kind', 'nextPageToken', 'incompleteSearch', 'files']);
const DRIVE_LIST_FIELDS = new Set(['kind', 'nextPageToken', 'drives']);
const DRIVE_FIELDS = new Set(['kind', 'id', 'name', 'createdTime', 'hidden', 'capabilities']);
const FILE_FIELDS = new Set([
  'kind',
  'id',
  'name',
  'mimeType',
  'size',
  'modifiedTime',
  'createdTime',
  'parents',
  'webViewLink',
  'webContentLink',
  'iconLink',
  'trashed',
  'explicitlyTrashed',
  'md5Checksum',
  'fileExtension',
  'capabilities',
  'exportLinks',
  'driveId',
  'ownedByMe',
  'owners',
  'version',
  'viewedByMeTime',
  'starred',
  'spaces',
  'headRevisionId',
  'resourceKey',
  'shortcutDetails',
]);
const DEFAULT_FILE_FIELDS: FieldTree = new Map([
  ['kind', true],
  ['id', true],
  ['name', true],
  ['mimeType', true],
]);

/** What Drive reports as a Docs Editors file's `size`: its storage, unrelated to any export's size. */
const DOC_STORAGE_BYTES = 1024;

/** Drive's `exportFormat` names of the export types the sandbox serves. */
const EXPORT_FORMATS: Record<string, string> = {
  'text/plain': 'txt',
  'text/csv': 'csv',
  'application/pdf': 'pdf',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': 'docx',
  'application/vnd.openxmlformats-officedocument.presentationml.presentation': 'pptx',
};

/**
 * An `exportLinks` URL as Drive writes them (on docs.google.com in reality: `/feeds/download/documents/export/
 * Export`, `/feeds/download/presentations/Export`, `/spreadsheets/export`), here on the sandbox's origin.
 */
function exportLink(driveRootUrl: string, node: DriveNode, type: string): string {
  const path = node.mimeType.endsWith('.presentation')
    ? 'feeds/download/presentations/Export'
    : node.mimeType.endsWith('.spreadsheet')
      ? 'spreadsheets/export'
      : 'feeds/download/documents/export/Export';
  return `${driveRootUrl}${path}?id=${encodeURIComponent(node.id)}&exportFormat=${EXPORT_FORMATS[type] ?? 'bin'}`;
}

function fileResource(
  node: DriveNode,
  driveRootUrl: string,
  options: { docsReportSize: boolean },
): Record<string, unknown> {
  const ext = /\.([^.]+)$/.exec(node.name)?.[1];
  const isFile = node.kind === 'file';
  return {
    kind: 'drive#file',
    id: node.id,
    name: node.name,
    mimeType: node.mimeType,
    ...(node.parent ? { parents: [node.parent.id] } : {}),
    trashed: false,
    explicitlyTrashed: false,
    starred: false,
    spaces: ['drive'],
    version: String(node.version),
    ownedByMe: true,
    createdTime: node.modifiedTime,
    modifiedTime: node.modifiedTime,
    webViewLink:
      node.kind === 'document'
        ? `https://docs.google.com/document/d/${node.id}/edit?usp=drivesdk`
        : node.kind === 'folder'
          ? `https://drive.google.com/drive/folders/${node.id}`
          : `https://drive.google.com/file/d/${node.id}/view?usp=drivesdk`,
    iconLink: `https://drive-thirdparty.googleusercontent.com/16/type/${node.mimeType}`,
    capabilities: { canDownload: isFile, canListChildren: node.kind === 'folder', canEdit: true },
    // Shared-drive items belong to the drive, not to the user.
    ...(node.driveId ? { driveId: node.driveId, ownedByMe: false } : {}),
    ...(node.shortcut ? { shortcutDetails: { ...node.shortcut } } : {}),
    ...(isFile
      ? {
          size: String(node.size),
          md5Checksum: contentDigest(node, 'md5'),
          ...(ext ? { fileExtension: ext } : {}),
          headRevisionId: `0B${node.id.slice(1, 20)}${node.version > 1 ? `.${node.version}` : ''}`,
        }
      : {}),
    ...(node.kind === 'document' && options.docsReportSize ? { size: String(DOC_STORAGE_BYTES) } : {}),
    ...(node.kind === 'document' && node.exports
      ? {
          exportLinks: Object.fromEntries(
            Object.keys(node.exports).map((type) => [type, exportLink(driveRootUrl, node, type)]),
          ),
        }
      : {}),
  };
}

function fieldsParam(ctx: RequestContext, allowed: ReadonlySet<string>): FieldTree | undefined | null {
  const raw = ctx.url.searchParams.get('fields');
  if (raw === null) return undefined;
  try {
    const tree = parseFields(raw);
    const unknown = unknownFields(tree, allowed);
    const files = tree.get('files');
    const unknownNested = files && files !== true ? unknownFields(files, FILE_FIELDS) : [];
    if (unknown.length || unknownNested.length) throw new FieldSyntaxError(raw);
    return tree;
  } catch {
    googleError(ctx, 400, 'invalidParameter', `Invalid field selection ${raw}`, {
      location: 'fields',
      locationType: 'parameter',
    });
    return null;
  }
}

interface Query {
  parent?: string;
  trashed?: boolean;
  mimeType?: { op: '=' | '!='; value: string };
}

/** The subset of the Drive query language the app uses: parents, trashed, mimeType. */
function parseQuery(q: string): Query | undefined {
  const query: Query = {};
  for (const clause of q.split(/\s+and\s+/i).map((c) => c.trim())) {
    if (!clause) continue;
    let m = /^'([^']+)'\s+in\s+parents$/i.exec(clause);
    if (m) {
      query.parent = m[1]!;
      continue;
    }
    m = /^trashed\s*=\s*(true|false)$/i.exec(clause);
    if (m) {
      query.trashed = m[1]!.toLowerCase() === 'true';
      continue;
    }
    m = /^mimeType\s*(!=|=)\s*'([^']+)'$/.exec(clause);
    if (m) {
      query.mimeType = { op: m[1] as '=' | '!=', value: m[2]! };
      continue;
    }
    return undefined;
  }
  return query;
}

function byFolderThenName(a: DriveNode, b: DriveNode): number {
  const fa = a.kind === 'folder' ? 0 : 1;
  const fb = b.kind === 'folder' ? 0 : 1;
  return fa - fb || a.name.localeCompare(b.name);
}

/** Google names the short OpenID scopes `email` and `profile` by these URLs in its token responses. */
const USERINFO_SCOPE = 'https://www.googleapis.com/auth/userinfo.';

function idToken(sub: string, email: string | null, issuer: string): string {
  const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  return `${part({ alg: 'none', typ: 'JWT' })}.${part({ iss: issuer, sub, email, iat: now, exp: now + 3600 })}.`;
}

export function googleRoutes(state: SandboxState, origin: () => string): Route[] {
  const driveRootUrl = () => `${origin()}${GOOGLE_PATHS.driveRoot}`;
  const spec: OAuthSpec = {
    provider: P,
    name: 'Google',
    authorizePath: /^\/google\/o\/oauth2\/v2\/auth$/,
    tokenPath: /^\/google\/token$/,
    scopeRequired: true,
    defaultScopes: [],
    offlineRequested: (params) => params.get('access_type') === 'offline',
    forceConsent: (params) => (params.get('prompt') ?? '').split(' ').includes('consent'),
    refreshOnlyOnFirstConsent: true,
    secretOptionalWithPkce: false,
    denyDescription: 'The user denied access to the application.',
    responseScopes: (granted) =>
      state.behaviour[P].scopeShape === 'short'
        ? granted
        : granted.map((s) => (s === 'email' || s === 'profile' ? `${USERINFO_SCOPE}${s}` : s)),
    tokenBody: (t, tokenType) => ({
      access_token: t.accessToken,
      expires_in: t.expiresIn,
      ...(t.refreshToken ? { refresh_token: t.refreshToken } : {}),
      scope: t.scope,
      token_type: tokenType,
      // Google adds an ID token whenever `openid` was granted (unsigned here: nothing of ours reads it).
      ...(t.scope.split(' ').includes('openid')
        ? { id_token: idToken(t.account.id, t.account.email, origin()) }
        : {}),
    }),
    errorBody: (error, description) => ({ error, error_description: description }),
    throttleBody: (status) => ({
      error: status === 429 ? 'rate_limit_exceeded' : 'temporarily_unavailable',
      error_description: 'Try again later.',
    }),
    redirectExtras: (scopes) => ({ scope: scopes.join(' '), authuser: '0', prompt: 'consent' }),
  };

  const resolve = (drive: ReturnType<SandboxState['drive']>, id: string) =>
    id === 'root' ? drive.root : drive.byId.get(id);

  const notFound = (ctx: RequestContext, id: string) =>
    googleError(ctx, 404, 'notFound', `File not found: ${id}.`, {
      location: 'fileId',
      locationType: 'parameter',
    });

  const listFiles = async (ctx: RequestContext) => {
    const call = await apiGate(ctx, state, P, errors, 'files.list');
    if (!call) return;
    const params = ctx.url.searchParams;
    const fields = fieldsParam(ctx, LIST_FIELDS);
    if (fields === null) return;
    const pageSizeRaw = params.get('pageSize');
    const pageSize = pageSizeRaw === null ? 100 : Number(pageSizeRaw);
    if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 1000) {
      return googleError(
        ctx,
        400,
        'invalid',
        `Invalid value '${pageSizeRaw}'. Values must be within the range: [1, 1000]`,
        {
          location: 'pageSize',
          locationType: 'parameter',
        },
      );
    }
    const q = params.get('q') ?? '';
    const query = parseQuery(q);
    if (!query) {
      return googleError(ctx, 400, 'invalid', 'Invalid Value', { location: 'q', locationType: 'parameter' });
    }
    const drive = state.drive(P, call.account.id);
    let items: DriveNode[];
    if (query.parent !== undefined) {
      const parent = resolve(drive, query.parent);
      items = parent ? [...parent.children] : [];
    } else {
      // Roots (My Drive's, the shared drives') are not files of any listing.
      items = [...drive.byId.values()].filter((n) => n.parent !== undefined);
    }
    const allDrives =
      params.get('supportsAllDrives') === 'true' && params.get('includeItemsFromAllDrives') === 'true';
    if (!allDrives && state.behaviour[P].sharedDrivesNeedAllDrivesParams) {
      items = items.filter((n) => n.driveId === undefined);
    }
    if (query.trashed === true) items = [];
    if (query.mimeType) {
      const { op, value } = query.mimeType;
      items = items.filter((n) => (op === '=' ? n.mimeType === value : n.mimeType !== value));
    }
    items.sort(byFolderThenName);

    const binding = createHash('sha256')
      .update(`${call.account.id}\u0000${q}`)
      .digest('base64url')
      .slice(0, 16);
    const cursor = pageCursor(params, binding);
    if (!cursor) return invalidPageToken(ctx);
    const offset = cursor.o;
    const emptyServed = cursor.e === 1;
    let page = items.slice(offset, offset + pageSize);
    let next: string | undefined =
      offset + pageSize < items.length ? encodeCursor({ b: binding, o: offset + pageSize }) : undefined;
    if (state.behaviour[P].emptyPageBeforeLast && !next && offset > 0 && page.length > 0 && !emptyServed) {
      page = [];
      next = encodeCursor({ b: binding, o: offset, e: 1 });
    }
    const body = {
      kind: 'drive#fileList',
      incompleteSearch: false,
      files: page.map((n) => fileResource(n, driveRootUrl(), state.behaviour[P])),
      ...(next ? { nextPageToken: next } : {}),
    };
    const tree: FieldTree =
      fields ??
      new Map<string, FieldTree | true>([
        ['kind', true],
        ['incompleteSearch', true],
        ['nextPageToken', true],
        ['files', DEFAULT_FILE_FIELDS],
      ]);
    sendJson(ctx.res, 200, selectFields(body, tree));
  };

  /** drives.list: the shared drives the account is a member of. */
  const listDrives = async (ctx: RequestContext) => {
    const call = await apiGate(ctx, state, P, errors, 'drives.list');
    if (!call) return;
    const params = ctx.url.searchParams;
    const pageSizeRaw = params.get('pageSize');
    const pageSize = pageSizeRaw === null ? 10 : Number(pageSizeRaw);
    if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 100) {
      return googleError(
        ctx,
        400,
        'invalid',
        `Invalid value '${pageSizeRaw}'. Values must be within the range: [1, 100]`,
        { location: 'pageSize', locationType: 'parameter' },
      );
    }
    let tree: FieldTree = new Map<string, FieldTree | true>([
      ['kind', true],
      ['nextPageToken', true],
      [
        'drives',
        new Map<string, FieldTree | true>([
          ['kind', true],
          ['id', true],
          ['name', true],
        ]),
      ],
    ]);
    const rawFields = params.get('fields');
    if (rawFields !== null) {
      try {
        tree = parseFields(rawFields);
        const nested = tree.get('drives');
        if (
          unknownFields(tree, DRIVE_LIST_FIELDS).length ||
          (nested && nested !== true && unknownFields(nested, DRIVE_FIELDS).length)
        )
          throw new FieldSyntaxError(rawFields);
      } catch {
        return googleError(ctx, 400, 'invalidParameter', `Invalid field selection ${rawFields}`, {
          location: 'fields',
          locationType: 'parameter',
        });
      }
    }
    const drives = [...state.drive(P, call.account.id).sharedDrives].sort((a, b) =>
      a.name.localeCompare(b.name),
    );
    const binding = createHash('sha256')
      .update(`${call.account.id}\u0000drives`)
      .digest('base64url')
      .slice(0, 16);
    const cursor = pageCursor(params, binding);
    if (!cursor) return invalidPageToken(ctx);
    const offset = cursor.o;
    const page = drives.slice(offset, offset + pageSize);
    const next =
      offset + pageSize < drives.length ? encodeCursor({ b: binding, o: offset + pageSize }) : undefined;
    const body = {
      kind: 'drive#driveList',
      drives: page.map((d) => ({
        kind: 'drive#drive',
        id: d.id,
        name: d.name,
        createdTime: d.modifiedTime,
        hidden: false,
        capabilities: { canListChildren: true, canDownload: true },
      })),
      ...(next ? { nextPageToken: next } : {}),
    };
    sendJson(ctx.res, 200, selectFields(body, tree));
  };

  const getFile = async (ctx: RequestContext, match: RegExpExecArray) => {
    const id = decodeURIComponent(match[1]!);
    const media = ctx.url.searchParams.get('alt') === 'media';
    const call = await apiGate(ctx, state, P, errors, media ? 'files.download' : 'files.get');
    if (!call) return;
    const node = resolve(state.drive(P, call.account.id), id);
    if (!node) return notFound(ctx, id);
    if (
      node.driveId !== undefined &&
      ctx.url.searchParams.get('supportsAllDrives') !== 'true' &&
      state.behaviour[P].sharedDrivesNeedAllDrivesParams
    ) {
      return notFound(ctx, id);
    }
    if (media) {
      if (node.kind !== 'file') {
        return googleError(
          ctx,
          403,
          'fileNotDownloadable',
          'Only files with binary content can be downloaded. Use Export with Docs Editors files.',
          { location: 'alt', locationType: 'parameter' },
        );
      }
      return sendBytes(ctx.res, 200, node.content!(), { 'content-type': node.mimeType });
    }
    const fields = fieldsParam(ctx, FILE_FIELDS);
    if (fields === null) return;
    sendJson(
      ctx.res,
      200,
      selectFields(fileResource(node, driveRootUrl(), state.behaviour[P]), fields ?? DEFAULT_FILE_FIELDS),
    );
  };

  const exportFile = async (ctx: RequestContext, match: RegExpExecArray) => {
    const id = decodeURIComponent(match[1]!);
    const call = await apiGate(ctx, state, P, errors, 'files.export');
    if (!call) return;
    const node = resolve(state.drive(P, call.account.id), id);
    if (!node) return notFound(ctx, id);
    const target = ctx.url.searchParams.get('mimeType');
    if (!target) {
      return googleError(ctx, 400, 'required', 'Required parameter: mimeType', {
        location: 'mimeType',
        locationType: 'parameter',
      });
    }
    if (node.kind !== 'document' || !node.exports) {
      return googleError(ctx, 403, 'fileNotExportable', 'Export only supports Docs Editors files.');
    }
    const make = node.exports[target];
    if (!make) {
      return googleError(ctx, 400, 'badRequest', 'The requested conversion is not supported.', {
        location: 'convertTo',
        locationType: 'parameter',
      });
    }
    const exported = make();
    if (exported.length > state.behaviour[P].exportSizeLimitBytes) {
      return googleError(ctx, 403, 'exportSizeLimitExceeded', 'This file is too large to be exported.');
    }
    sendBytes(ctx.res, 200, exported, { 'content-type': target });
  };

  /** An `exportLinks` URL: the same conversions, with the bearer, without the export size cap. */
  const exportByLink = async (ctx: RequestContext) => {
    const call = await apiGate(ctx, state, P, errors, 'files.exportLink');
    if (!call) return;
    const id = ctx.url.searchParams.get('id') ?? '';
    const format = ctx.url.searchParams.get('exportFormat') ?? '';
    const node = resolve(state.drive(P, call.account.id), id);
    const type = Object.entries(EXPORT_FORMATS).find(([, f]) => f === format)?.[0];
    const make = node && type ? node.exports?.[type] : undefined;
    if (!node || !make) return notFound(ctx, id);
    sendBytes(ctx.res, 200, make(), {
      'content-type': type!,
      'content-disposition': `attachment; filename="${encodeURIComponent(node.name)}.${format}"`,
    });
  };

  const about = async (ctx: RequestContext) => {
    const call = await apiGate(ctx, state, P, errors, 'about.get');
    if (!call) return;
    const fields = ctx.url.searchParams.get('fields');
    if (!fields) {
      return googleError(ctx, 400, 'required', "The 'fields' parameter is required for this method.", {
        location: 'fields',
        locationType: 'parameter',
      });
    }
    const body = {
      kind: 'drive#about',
      user: {
        kind: 'drive#user',
        displayName: call.account.displayName,
        emailAddress: call.account.email,
        permissionId: createHash('sha256').update(call.account.id).digest('hex').slice(0, 20),
        me: true,
      },
    };
    try {
      sendJson(ctx.res, 200, selectFields(body, parseFields(fields)));
    } catch {
      googleError(ctx, 400, 'invalidParameter', `Invalid field selection ${fields}`);
    }
  };

  const userinfo = async (ctx: RequestContext) => {
    const call = await apiGate(ctx, state, P, errors, 'userinfo');
    if (!call) return;
    sendJson(ctx.res, 200, {
      sub: call.account.id,
      name: call.account.displayName,
      email: call.account.email,
      email_verified: true,
    });
  };

  const revoke = async (ctx: RequestContext) => {
    const body = (await ctx.body()).toString('utf8');
    const fromBody = isFormBody(ctx.req) ? new URLSearchParams(body).get('token') : null;
    const fromQuery = ctx.url.searchParams.get('token');
    const token = fromBody ?? fromQuery;
    const access = token ? state.accessStatus(P, token) : { status: 'unknown' as const };
    const refresh = token ? state.refreshStatus(P, token) : { status: 'unknown' as const };
    state.revocations.push({
      provider: P,
      token: token ?? '',
      tokenType:
        access.status !== 'unknown' ? 'access' : refresh.status !== 'unknown' ? 'refresh' : 'unknown',
      via: fromBody !== null ? 'body' : 'query',
    });
    // Google revokes the whole grant, whichever of its tokens is presented.
    if (fromBody === null && fromQuery !== null) {
      // Google accepts ?token=… (google-auth-library's revokeToken sends it so); the sandbox refuses tokens in
      // URLs so such a leak fails tests (SECURITY.md §3, case 27).
      return sendJson(ctx.res, 400, {
        error: 'invalid_request',
        error_description: 'sandbox: the token must be in the form body, not the URL.',
      });
    }
    const grant = access.record?.grant ?? refresh.record?.grant;
    const usable = access.status === 'active' || access.status === 'expired' || refresh.status === 'active';
    if (!grant || !usable) {
      return sendJson(ctx.res, 400, {
        error: 'invalid_token',
        error_description: 'Token expired or revoked',
      });
    }
    grant.revoked = true;
    sendJson(ctx.res, 200, {});
  };

  return [
    ...oauthRoutes(spec, state),
    { method: 'POST', pattern: /^\/google\/revoke$/, handler: revoke },
    { method: 'GET', pattern: /^\/google\/(?:v1|oauth2\/v3)\/userinfo$/, handler: userinfo },
    { method: 'GET', pattern: /^\/drive\/v3\/about$/, handler: about },
    { method: 'GET', pattern: /^\/drive\/v3\/files$/, handler: listFiles },
    { method: 'GET', pattern: /^\/drive\/v3\/drives$/, handler: listDrives },
    { method: 'GET', pattern: /^\/drive\/v3\/files\/([^/]+)\/export$/, handler: exportFile },
    {
      method: 'GET',
      pattern:
        /^\/(?:feeds\/download\/documents\/export\/Export|feeds\/download\/presentations\/Export|spreadsheets\/export)$/,
      handler: exportByLink,
    },
    { method: 'GET', pattern: /^\/drive\/v3\/files\/([^/]+)$/, handler: getFile },
  ];
}
