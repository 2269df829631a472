import { JwtVerifier } from 'aws-jwt-verify';
import { SimpleJwksCache } from 'aws-jwt-verify/jwk';
import type { BearerVerifier } from './gateway.ts';

export interface AuthorizerOptions {
  issuer: string;
  jwksUri: string;
  /** The app client id: API Gateway's `audience` list, matched against `aud` or `client_id`. */
  clientId: string;
  /** Scopes the route requires; a Cognito ID token has no `scope` claim and is refused here. */
  requiredScopes: string[];
}

/** Cognito access tokens from USER_PASSWORD_AUTH carry this scope; the CDK authorizer requires it too. */
export const COGNITO_ACCESS_SCOPE = 'aws.cognito.signin.user.admin';

/**
 * The local stand-in for API Gateway's JWT authorizer: RS256 signature against the issuer's JWKS, `iss`,
 * `exp`/`nbf`, audience (`aud` or `client_id`) and required scopes, all through aws-jwt-verify.
 * aws-jwt-verify only fetches https JWKS URLs, so the (http, loopback) JWKS is fetched by a small fetcher of
 * ours; its cache and penalty box still apply, so a burst of unknown `kid`s causes at most one fetch per
 * cooldown and cached keys keep working when the JWKS endpoint is down.
 */
export async function createLocalAuthorizer(options: AuthorizerOptions): Promise<BearerVerifier> {
  const jwksCache = new SimpleJwksCache({
    fetcher: {
      fetch: async (uri: string) => {
        const res = await fetch(uri, { signal: AbortSignal.timeout(3_000) });
        if (!res.ok) throw new Error(`JWKS fetch failed with ${res.status}`);
        return res.arrayBuffer();
      },
    },
  });
  const verifier = JwtVerifier.create(
    {
      issuer: options.issuer,
      audience: null,
      jwksUri: options.jwksUri,
      customJwtCheck: ({ payload }) => {
        const audiences = [payload.aud, payload.client_id]
          .flat()
          .filter((v): v is string => typeof v === 'string');
        if (!audiences.includes(options.clientId)) throw new Error('Audience not allowed');
        // API Gateway's authorizer refuses ID tokens through the required scope (they carry none); checking
        // token_use as well makes the local gateway refuse them for the same reason and by name.
        if (payload.token_use !== 'access') throw new Error('Not an access token');
        const scopes = typeof payload.scope === 'string' ? payload.scope.split(' ') : [];
        if (!options.requiredScopes.every((s) => scopes.includes(s))) throw new Error('Missing scope');
      },
    },
    { jwksCache },
  );
  try {
    verifier.cacheJwks(
      (await (await fetch(options.jwksUri)).json()) as Parameters<typeof verifier.cacheJwks>[0],
    );
  } catch {
    // Not reachable yet: the first verification fetches it.
  }
  return async (authorization) => {
    const match = /^Bearer ([A-Za-z0-9._~+/-]+=*)$/.exec(authorization ?? '');
    if (!match) throw new Error('Missing or malformed Authorization header');
    return (await verifier.verify(match[1]!)) as unknown as Record<string, unknown>;
  };
}
