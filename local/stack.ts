import { mkdir } from 'node:fs/promises';
import type http from 'node:http';
import path from 'node:path';
import { closePools } from '#shared/db/pool';
import { buildWebApp } from '../web/build.ts';
import { COGNITO_ACCESS_SCOPE, createLocalAuthorizer } from './authorizer.ts';
import { type LocalCognito, startLocalCognito } from './cognito.ts';
import { type BearerVerifier, createGateway, listen } from './gateway.ts';
import { rememberedPort } from './ports.ts';
import {
  type DatabaseUrls,
  type EmbeddedCluster,
  prepareDatabase,
  startEmbeddedPostgres,
} from './postgres.ts';
import { createLocalQueue, type LocalQueue, type LocalSqs, startLocalSqs } from './s3/queue.ts';
import { type LocalS3, startLocalS3 } from './s3/server.ts';
import { type Sandbox, startSandbox, trustSandboxCertificate } from './sandbox/index.ts';
import { webAppPages } from './web.ts';

export interface LocalStackOptions {
  /** Where embedded services keep their data (`.local/` for `npm start`, a temp dir in tests). */
  stateDir: string;
  /** Gateway port; 0 picks a free one. */
  port: number;
  /** Owner/admin connection of an existing PostgreSQL; when absent an embedded PostgreSQL 17 is started. */
  databaseUrl?: string;
  database?: string;
  /** Defaults to the local Cognito's JWT authorizer; tests may substitute their own. */
  verifyBearer?: BearerVerifier;
  /** `sandbox`: loopback fakes of Google, Microsoft and Dropbox (tests, offline demos); `real`: the real ones. */
  providers?: 'sandbox' | 'real';
  /** Keep the sandbox's tokens and CA under <stateDir>/sandbox across restarts (`npm start`). */
  persistSandbox?: boolean;
  /** Confirm sign-ups at once (default), since there is no mail locally. */
  autoConfirm?: boolean;
  /** Observes every function invocation (tests use it to prove that refused requests ran no handler). */
  onInvoke?: (routeKey: string) => void;
  /** PostgreSQL's own log lines (also shown in the error when it fails to start). */
  log?: (line: string) => void;
  /** Told about every child process as soon as it runs (`npm start` records them to clean up orphans). */
  onChild?: (child: { name: 'postgres' | 'cognito-local'; pid: number; match: string }) => void;
  /**
   * Build the web app (web/) into the state directory and serve it at `/` on the gateway's origin, which
   * becomes FRONTEND_URL (`npm start`, the browser tests). Ignored when FRONTEND_URL is set.
   */
  webApp?: boolean;
}

export interface LocalStack {
  url: string;
  port: number;
  db: DatabaseUrls;
  postgres?: EmbeddedCluster;
  cognito: LocalCognito;
  sandbox?: Sandbox;
  /** The document store (s3rver behind the presigned-POST check) and the worker queue that drains it. */
  documents: { s3: LocalS3; queue: LocalQueue; sqs: LocalSqs };
  server: http.Server;
  stop: () => Promise<void>;
}

/** Starts the database (embedded unless a URL is given), applies migrations and serves the route table. */
export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  await mkdir(options.stateDir, { recursive: true });
  // What has started so far, stopped in reverse order when a later step fails: no child outlives a failed start.
  const started: Array<() => Promise<unknown>> = [];
  try {
    return await startParts(options, started);
  } catch (error) {
    for (const stop of started.reverse()) await stop().catch(() => undefined);
    throw error;
  }
}

async function startParts(
  options: LocalStackOptions,
  started: Array<() => Promise<unknown>>,
): Promise<LocalStack> {
  let postgres: EmbeddedCluster | undefined;
  let adminUrl = options.databaseUrl;
  if (!adminUrl) {
    const dataDir = path.join(options.stateDir, 'postgres');
    // The same port as last time when free, so the local connection string stays the same.
    const { port } = await rememberedPort(path.join(options.stateDir, 'postgres.port'));
    postgres = await startEmbeddedPostgres(dataDir, port, options.log, { stopOrphan: true });
    started.push(postgres.stop);
    const pid = postgres.pid();
    if (pid) options.onChild?.({ name: 'postgres', pid, match: dataDir });
    adminUrl = postgres.superuserUrl();
  }
  const db = await prepareDatabase(adminUrl, options.database ?? 'brand');
  process.env.APP_DATABASE_URL = db.appUrl;
  process.env.REFRESHER_DATABASE_URL = db.refresherUrl;
  // Without a separately served frontend, the gateway's own origin is the frontend (serving the built app
  // when asked to).
  const ownFrontend = !process.env.FRONTEND_URL;
  const pages =
    ownFrontend && options.webApp
      ? await webAppPages(await buildWebApp(path.join(options.stateDir, 'web')))
      : undefined;
  process.env.AWS_REGION ??= 'us-east-1';

  started.push(closePools);
  const cognito = await startLocalCognito(path.join(options.stateDir, 'cognito'), {
    autoConfirm: options.autoConfirm ?? true,
  });
  started.push(cognito.stop);
  if (cognito.pid) options.onChild?.({ name: 'cognito-local', pid: cognito.pid, match: 'cognito-local' });
  process.env.COGNITO_ENDPOINT = cognito.endpoint;
  process.env.COGNITO_USER_POOL_ID = cognito.userPoolId;
  process.env.COGNITO_CLIENT_ID = cognito.clientId;
  // Admin calls to cognito-local (local only) need some credentials; nothing is signed for real.
  process.env.AWS_ACCESS_KEY_ID ??= 'local';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'local';
  const verifyBearer =
    options.verifyBearer ??
    (await createLocalAuthorizer({
      issuer: cognito.issuer,
      jwksUri: cognito.jwksUri,
      clientId: cognito.clientId,
      requiredScopes: [COGNITO_ACCESS_SCOPE],
    }));

  // The token vault's local key lives with the rest of the local state (generated once, mode 0600).
  process.env.TOKEN_VAULT_LOCAL_KEY_FILE ??= path.join(options.stateDir, 'token-vault.key');
  // So is the signing key of page cursors and PKCE verifiers (Secrets Manager in AWS).
  process.env.SIGNING_KEY_FILE ??= path.join(options.stateDir, 'signing.key');

  let sandbox: Sandbox | undefined;
  if ((options.providers ?? 'real') === 'sandbox') {
    // With `persistSandbox` (npm start), tokens and the CA persist under <state>/sandbox, so connections and a
    // trusted CA survive restarts; test stacks keep a throwaway sandbox.
    sandbox = await startSandbox(
      options.persistSandbox ? { stateDir: path.join(options.stateDir, 'sandbox') } : {},
    );
    started.push(sandbox.stop);
    trustSandboxCertificate(sandbox.caPem);
    process.env.PROVIDER_ENDPOINTS = JSON.stringify(sandbox.endpoints);
    process.env.GOOGLE_CLIENT_ID = sandbox.clients.google_drive.clientId;
    process.env.GOOGLE_CLIENT_SECRET = sandbox.clients.google_drive.clientSecret;
    process.env.MICROSOFT_CLIENT_ID = sandbox.clients.onedrive.clientId;
    process.env.MICROSOFT_CLIENT_SECRET = sandbox.clients.onedrive.clientSecret;
    process.env.DROPBOX_APP_KEY = sandbox.clients.dropbox.clientId;
    process.env.DROPBOX_APP_SECRET = sandbox.clients.dropbox.clientSecret;
  }

  const server = createGateway({
    verifyBearer,
    ...(options.onInvoke ? { onInvoke: options.onInvoke } : {}),
    ...(pages ? { pages } : {}),
  });
  const port = await listen(server, options.port);
  const apiBase = options.port === 0 ? `http://127.0.0.1:${port}` : `http://localhost:${port}`;
  process.env.OAUTH_REDIRECT_BASE_URL = apiBase;
  if (ownFrontend) process.env.FRONTEND_URL = apiBase;
  // The document store: S3 stand-in on loopback; object-created events go to the worker handler in-process.
  const documentsS3 = await startLocalS3({
    directory: path.join(options.stateDir, 's3'),
    bucket: 'brand-documents-local',
    allowedOrigins: [...new Set([process.env.FRONTEND_URL, apiBase, `http://127.0.0.1:${port}`])].filter(
      (o): o is string => Boolean(o),
    ),
  });
  process.env.DOCUMENTS_BUCKET = documentsS3.bucket;
  process.env.DOCUMENTS_S3_ENDPOINT = documentsS3.endpoint;
  process.env.DOCUMENTS_S3_ACCESS_KEY_ID = documentsS3.credentials.accessKeyId;
  process.env.DOCUMENTS_S3_SECRET_ACCESS_KEY = documentsS3.credentials.secretAccessKey;
  const documentsQueue = createLocalQueue({
    loadHandler: async () => (await import('#functions/documents/worker')).handler,
    ...(options.log ? { log: options.log } : {}),
  });
  documentsS3.onObjectCreated((event) => documentsQueue.send(event));
  // Import jobs are sent with the SQS API (SendMessage) to the same queue, as in AWS.
  const documentsSqs = await startLocalSqs(documentsQueue, documentsS3.region);
  process.env.DOCUMENTS_SQS_ENDPOINT = documentsSqs.endpoint;
  process.env.DOCUMENTS_QUEUE_URL = documentsSqs.queueUrl;

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    db,
    ...(postgres ? { postgres } : {}),
    cognito,
    ...(sandbox ? { sandbox } : {}),
    documents: { s3: documentsS3, queue: documentsQueue, sqs: documentsSqs },
    server,
    stop: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await documentsSqs.stop();
      await documentsQueue.idle();
      await documentsS3.stop();
      await closePools();
      await cognito.stop();
      await sandbox?.stop();
      await postgres?.stop();
    },
  };
}
