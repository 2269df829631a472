import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { isLambda, optionalEnv } from '#shared/config';

/** Secrets are re-read after this long, so a rotated secret takes effect without a deployment. */
const SECRET_TTL_MS = 5 * 60 * 1000;

let cached: { value: Promise<string>; at: number } | undefined;

/** A Standard Webhooks secret (`whsec_` + base64 of the key), with or without the prefix as stored. */
export function normaliseWebhookSecret(raw: string): string {
  const value = raw.trim();
  const body = value.startsWith('whsec_') ? value.slice('whsec_'.length) : value;
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(body) || Buffer.from(body, 'base64').length < 24) {
    throw new Error('The webhook secret is not a Standard Webhooks secret (whsec_ + base64 of ≥ 24 bytes)');
  }
  return `whsec_${body}`;
}

async function fromSecretsManager(secretId: string): Promise<string> {
  const { SecretsManagerClient, GetSecretValueCommand } = await import('@aws-sdk/client-secrets-manager');
  const out = await new SecretsManagerClient({}).send(new GetSecretValueCommand({ SecretId: secretId }));
  const text = out.SecretString ?? '';
  // The stack stores `{ "secret": "…" }` (generated); a plain string works too.
  const value = text.startsWith('{') ? String((JSON.parse(text) as { secret?: unknown }).secret ?? '') : text;
  return normaliseWebhookSecret(value);
}

/** Locally: `.local/webhook-secret` (mode 0600), generated on first use; the receiver reads it from there. */
export function localWebhookSecret(file: string): string {
  if (!existsSync(file)) {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, `whsec_${randomBytes(32).toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
  }
  return normaliseWebhookSecret(readFileSync(file, 'utf8'));
}

/**
 * The signing secret: Secrets Manager (WEBHOOK_SECRET_ARN) in AWS, WEBHOOK_SECRET or the local secret file
 * (WEBHOOK_SECRET_FILE, default `.local/webhook-secret`) elsewhere. In AWS without an ARN it fails closed.
 */
export function webhookSecret(): Promise<string> {
  if (cached && Date.now() - cached.at < SECRET_TTL_MS) return cached.value;
  const arn = optionalEnv('WEBHOOK_SECRET_ARN');
  let value: Promise<string>;
  if (arn) value = fromSecretsManager(arn);
  else if (isLambda()) value = Promise.reject(new Error('WEBHOOK_SECRET_ARN is not configured'));
  else {
    const inline = optionalEnv('WEBHOOK_SECRET');
    value = Promise.resolve().then(() =>
      inline
        ? normaliseWebhookSecret(inline)
        : localWebhookSecret(path.resolve(optionalEnv('WEBHOOK_SECRET_FILE') ?? '.local/webhook-secret')),
    );
  }
  value.catch(() => {
    cached = undefined;
  });
  cached = { value, at: Date.now() };
  return value;
}

export function resetWebhookSecretForTests(): void {
  cached = undefined;
}
