import { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { optionalEnv, requireEnv } from '#shared/config';

let client: CognitoIdentityProviderClient | undefined;

/** The Cognito client, created once per container. COGNITO_ENDPOINT points it at cognito-local on a laptop. */
export function cognito(): CognitoIdentityProviderClient {
  const endpoint = optionalEnv('COGNITO_ENDPOINT');
  client ??= new CognitoIdentityProviderClient({
    ...(endpoint ? { endpoint } : {}),
    maxAttempts: 2,
  });
  return client;
}

export const cognitoClientId = (): string => requireEnv('COGNITO_CLIENT_ID');

/** Test hook: drop the cached client after the environment changed. */
export function resetCognitoClient(): void {
  client?.destroy();
  client = undefined;
}
