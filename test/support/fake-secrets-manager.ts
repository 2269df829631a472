import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A loopback stand-in for AWS Secrets Manager's GetSecretValue (JSON protocol: POST /,
 * `X-Amz-Target: secretsmanager.GetSecretValue`), so the real @aws-sdk/client-secrets-manager runs against it
 * (point it here with AWS_ENDPOINT_URL_SECRETS_MANAGER). Values can be replaced at any time, as a rotation's
 * finishSecret step does.
 */
export interface FakeSecretsManager {
  endpoint: string;
  put(secretId: string, value: Record<string, unknown>): void;
  /** GetSecretValue calls per secret id. */
  reads(secretId: string): number;
  close(): Promise<void>;
}

export async function startFakeSecretsManager(): Promise<FakeSecretsManager> {
  const values = new Map<string, { value: string; version: number }>();
  const reads = new Map<string, number>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const answer = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' });
        res.end(JSON.stringify(body));
      };
      if (req.headers['x-amz-target'] !== 'secretsmanager.GetSecretValue') {
        return answer(400, { __type: 'InvalidRequestException', message: 'Unsupported operation' });
      }
      const { SecretId } = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as {
        SecretId?: string;
      };
      const secret = SecretId ? values.get(SecretId) : undefined;
      if (!SecretId || !secret) {
        return answer(400, {
          __type: 'ResourceNotFoundException',
          message: 'Secrets Manager can’t find it.',
        });
      }
      reads.set(SecretId, (reads.get(SecretId) ?? 0) + 1);
      answer(200, {
        ARN: SecretId,
        Name: SecretId.split(':').at(-1),
        SecretString: secret.value,
        VersionId: `v${secret.version}`,
        VersionStages: ['AWSCURRENT'],
        CreatedDate: 1_700_000_000,
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    put(secretId, value) {
      values.set(secretId, {
        value: JSON.stringify(value),
        version: (values.get(secretId)?.version ?? 0) + 1,
      });
    },
    reads: (secretId) => reads.get(secretId) ?? 0,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
