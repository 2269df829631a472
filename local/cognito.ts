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
} from '@aws-sdk/client-cognito-identity-provider';
import { PASSWORD_POLICY } from '#shared/auth/password-policy';
import { rememberedPort } from './ports.ts';

export interface LocalCognito {
  /** What the functions use as COGNITO_ENDPOINT (the auto-confirm front of cognito-local). */
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
 * In AWS, sign-ups are confirmed by the emailed code. Locally there is no mail, so this thin loopback front of
 * cognito-local confirms each successful SignUp right away (as a PreSignUp trigger with autoConfirmUser would)
 * and forwards every other call unchanged. The handlers' code is the same in both places.
 */
function autoConfirmProxy(
  upstream: string,
  admin: CognitoIdentityProviderClient,
  userPoolId: string,
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
      if (target === 'AWSCognitoIdentityProviderService.SignUp' && upstreamRes.ok) {
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
        ExplicitAuthFlows: ['ALLOW_USER_PASSWORD_AUTH', 'ALLOW_USER_SRP_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'],
      }),
    );
    ids = { userPoolId: pool.UserPool!.Id!, clientId: client.UserPoolClient!.ClientId! };
    await writeFile(poolFile, JSON.stringify(ids, null, 2));
  }

  let proxy: http.Server | undefined;
  let endpoint = upstream;
  if (options.autoConfirm !== false) {
    proxy = autoConfirmProxy(upstream, admin, ids.userPoolId);
    await new Promise<void>((resolve) => proxy!.listen(0, '127.0.0.1', resolve));
    endpoint = `http://127.0.0.1:${(proxy.address() as { port: number }).port}`;
  }
  return {
    endpoint,
    ...ids,
    issuer: `${issuerDomain}/${ids.userPoolId}`,
    jwksUri: `${upstream}/${ids.userPoolId}/.well-known/jwks.json`,
    upstream,
    pid: child.pid,
    stop: async () => {
      proxy?.closeAllConnections();
      await new Promise<void>((resolve) => (proxy ? proxy.close(() => resolve()) : resolve()));
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
