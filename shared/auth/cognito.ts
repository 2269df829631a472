import { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { optionalEnv, requireEnv } from '#shared/config';

let client: CognitoIdentityProviderClient | undefined;
let clientEndpoint: string | undefined;

/**
 * The Cognito client, created once per container. COGNITO_ENDPOINT points it at cognito-local on a laptop
 * (a changed endpoint, which only happens when tests start a new local stack, makes a new client).
 */
export function cognito(): CognitoIdentityProviderClient {
  const endpoint = optionalEnv('COGNITO_ENDPOINT');
  if (!client || endpoint !== clientEndpoint) {
    client?.destroy();
    client = new CognitoIdentityProviderClient({ ...(endpoint ? { endpoint } : {}), maxAttempts: 2 });
    clientEndpoint = endpoint;
  }
  return client;
}

export const cognitoClientId = (): string => requireEnv('COGNITO_CLIENT_ID');
export const cognitoUserPoolId = (): string => requireEnv('COGNITO_USER_POOL_ID');

/** Test hook: drop the cached client after the environment changed. */
export function resetCognitoClient(): void {
  client?.destroy();
  client = undefined;
}
