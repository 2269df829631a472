import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import http from 'node:http';
import { createRequire } from 'node:module';
import path from 'node:path';
import {
  AdminConfirmSignUpCommand,
  CognitoIdentityProviderClient,
  CreateUserPoolClientCommand,
  CreateUserPoolCommand,
  DescribeUserPoolCommand,
  UpdateUserPoolClientCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { PASSWORD_POLICY } from '#shared/auth/password-policy';
import { rememberedPort } from './ports.ts';

export interface LocalCognito {
  /** What the functions use as COGNITO_ENDPOINT (the front of cognito-local: auto-confirm, true ExpiresIn). */
  endpoint: string;
  userPoolId: string;
  clientId: string;
  issuer: string;
  jwksUri: string;
  /** cognito-local itself (the admin API, without the auto-confirm front). */
  upstream: string;
  /** cognito-local's pid while it runs. */
  pid: number | undefined;
  stop: () => Promise<void>;
}

const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };
const EXPLICIT_AUTH_FLOWS = [
  'ALLOW_USER_PASSWORD_AUTH',
  'ALLOW_USER_SRP_AUTH',
  'ALLOW_REFRESH_TOKEN_AUTH',
] as const;

async function waitForHttp(url: string, child: ChildProcess, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`cognito-local exited with code ${child.exitCode}`);
    try {
      await fetch(url, { signal: AbortSignal.timeout(1_000) });
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error('cognito-local did not start in time');
}

/**
 * The web client's token lifetimes, as infra/constructs/auth.ts sets them in AWS (cognito-local would issue
 * 24-hour tokens otherwise).
 */
const TOKEN_VALIDITY = {
  AccessTokenValidity: 1,
  IdTokenValidity: 1,
  RefreshTokenValidity: 30,
  TokenValidityUnits: { AccessToken: 'hours', IdToken: 'hours', RefreshToken: 'days' },
} as const;

/** `exp - iat` of a JWT, in seconds (undefined when it is not one). */
function lifetimeSeconds(jwt: unknown): number | undefined {
  if (typeof jwt !== 'string') return undefined;
  try {
    const payload = JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString('utf8')) as {
      exp?: number;
      iat?: number;
    };
    return typeof payload.exp === 'number' && typeof payload.iat === 'number'
      ? payload.exp - payload.iat
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A thin loopback front of cognito-local that makes it answer as Cognito does where a client can tell:
 * - `ExpiresIn` of a sign-in equals the access token's real lifetime (cognito-local leaves it out);
 * - with `autoConfirm`, each successful SignUp is confirmed right away (in AWS the emailed code does it;
 *   locally there is no mail), as a PreSignUp trigger with autoConfirmUser would.
 * Every other call is forwarded unchanged; the handlers' code is the same in both places.
 */
function cognitoFront(
  upstream: string,
  admin: CognitoIdentityProviderClient,
  userPoolId: string,
  autoConfirm: boolean,
): http.Server {
  return http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) {
      if (typeof v === 'string' && k !== 'host' && k !== 'content-length') headers[k] = v;
    }
    try {
      const upstreamRes = await fetch(new URL(req.url ?? '/', upstream), {
        method: req.method ?? 'POST',
        headers,
        ...(body.length ? { body } : {}),
      });
      let text = await upstreamRes.text();
      const target = req.headers['x-amz-target'];
      if (
        upstreamRes.ok &&
        (target === 'AWSCognitoIdentityProviderService.InitiateAuth' ||
          target === 'AWSCognitoIdentityProviderService.AdminInitiateAuth' ||
          target === 'AWSCognitoIdentityProviderService.RespondToAuthChallenge')
      ) {
        const answer = JSON.parse(text) as { AuthenticationResult?: Record<string, unknown> };
        const lifetime = lifetimeSeconds(answer.AuthenticationResult?.AccessToken);
        if (answer.AuthenticationResult && lifetime !== undefined) {
          answer.AuthenticationResult.ExpiresIn = lifetime;
          text = JSON.stringify(answer);
        }
      }
      if (autoConfirm && target === 'AWSCognitoIdentityProviderService.SignUp' && upstreamRes.ok) {
        const { Username } = JSON.parse(body.toString('utf8')) as { Username: string };
        await admin.send(new AdminConfirmSignUpCommand({ UserPoolId: userPoolId, Username }));
        text = JSON.stringify({ ...(JSON.parse(text) as object), UserConfirmed: true });
      }
      res.writeHead(upstreamRes.status, {
        'content-type': upstreamRes.headers.get('content-type') ?? 'application/x-amz-json-1.1',
      });
      res.end(text);
    } catch {
      res.writeHead(502, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ __type: 'InternalErrorException', message: 'local cognito unavailable' }));
    }
  });
}

/**
 * Runs the `cognito-local` package on loopback with its data under `dir`, and creates (once, persisted in
 * `dir/pool.json`) a user pool and an app client shaped like the ones the CDK stack creates.
 */
export async function startLocalCognito(
  dir: string,
  options: { autoConfirm?: boolean } = {},
): Promise<LocalCognito> {
  await mkdir(path.join(dir, '.cognito'), { recursive: true });
  // The port of the first start is remembered and reused when free; the issuer in the tokens is pinned to
  // it in cognito-local's config, so tokens issued earlier stay valid even when this run needs another port.
  const { port, first } = await rememberedPort(path.join(dir, 'port'));
  const configFile = path.join(dir, '.cognito', 'config.json');
  const config = existsSync(configFile)
    ? (JSON.parse(await readFile(configFile, 'utf8')) as { TokenConfig?: { IssuerDomain?: string } })
    : {};
  if (!config.TokenConfig?.IssuerDomain) {
    config.TokenConfig = { ...config.TokenConfig, IssuerDomain: `http://127.0.0.1:${first}` };
    await writeFile(configFile, JSON.stringify(config, null, 2));
  }
  const issuerDomain = config.TokenConfig.IssuerDomain!;
  const require = createRequire(import.meta.url);
  const entry = path.join(path.dirname(require.resolve('cognito-local/package.json')), 'lib/bin/start.js');
  // parent-guard.cjs ends cognito-local when this process goes away, however it goes (kill -9 included).
  const guard = new URL('./parent-guard.cjs', import.meta.url).pathname;
  const child = spawn(process.execPath, ['--require', guard, entry], {
    cwd: dir,
    env: { ...process.env, HOST: '127.0.0.1', PORT: String(port), DEBUG: '' },
    stdio: ['pipe', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4_000);
  });
  const upstream = `http://127.0.0.1:${port}`;
  try {
    await waitForHttp(`${upstream}/health`, child);
  } catch (error) {
    child.kill('SIGKILL');
    throw new Error(`${(error as Error).message}\n${stderr}`);
  }

  const admin = new CognitoIdentityProviderClient({
    endpoint: upstream,
    region: 'local',
    credentials: LOCAL_CREDENTIALS,
  });
  const poolFile = path.join(dir, 'pool.json');
  let ids: { userPoolId: string; clientId: string } | undefined;
  if (existsSync(poolFile)) {
    ids = JSON.parse(await readFile(poolFile, 'utf8'));
    try {
      await admin.send(new DescribeUserPoolCommand({ UserPoolId: ids!.userPoolId }));
    } catch {
      ids = undefined;
    }
  }
  if (!ids) {
    const pool = await admin.send(
      new CreateUserPoolCommand({
        PoolName: 'brand-cloud-local',
        UsernameAttributes: ['email'],
        AutoVerifiedAttributes: ['email'],
        Policies: {
          PasswordPolicy: {
            MinimumLength: PASSWORD_POLICY.minLength,
            RequireLowercase: true,
            RequireUppercase: true,
            RequireNumbers: true,
            RequireSymbols: true,
          },
        },
      }),
    );
    const client = await admin.send(
      new CreateUserPoolClientCommand({
        UserPoolId: pool.UserPool!.Id!,
        ClientName: 'brand-cloud-web',
        ExplicitAuthFlows: [...EXPLICIT_AUTH_FLOWS],
        ...TOKEN_VALIDITY,
      }),
    );
    ids = { userPoolId: pool.UserPool!.Id!, clientId: client.UserPoolClient!.ClientId! };
    await writeFile(poolFile, JSON.stringify(ids, null, 2));
  } else {
    // A pool made by an earlier version: the same lifetimes as in AWS from now on.
    await admin.send(
      new UpdateUserPoolClientCommand({
        UserPoolId: ids.userPoolId,
        ClientId: ids.clientId,
        ClientName: 'brand-cloud-web',
        ExplicitAuthFlows: [...EXPLICIT_AUTH_FLOWS],
        ...TOKEN_VALIDITY,
      }),
    );
  }

  const proxy = cognitoFront(upstream, admin, ids.userPoolId, options.autoConfirm !== false);
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(proxy.address() as { port: number }).port}`;
  return {
    endpoint,
    ...ids,
    issuer: `${issuerDomain}/${ids.userPoolId}`,
    jwksUri: `${upstream}/${ids.userPoolId}/.well-known/jwks.json`,
    upstream,
    pid: child.pid,
    stop: async () => {
      proxy.closeAllConnections();
      await new Promise<void>((resolve) => proxy.close(() => resolve()));
      admin.destroy();
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      child.stdin?.destroy();
    },
  };
}
