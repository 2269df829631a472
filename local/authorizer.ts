import { JwtVerifier } from 'aws-jwt-verify';
import {
  JwtExpiredError,
  JwtInvalidIssuerError,
  JwtNotBeforeError,
  JwtParseError,
} from 'aws-jwt-verify/error';
import { SimpleJwksCache } from 'aws-jwt-verify/jwk';
import type { BearerVerifier } from './gateway.ts';

/**
 * A request the JWT authorizer refuses, with the reason API Gateway puts in `www-authenticate`
 * (`error_description`); `undefined` when there was no token at all.
 */
export class AuthorizerRejection extends Error {
  constructor(readonly description: string | undefined) {
    super(description ?? 'no token');
  }
}

/** Thrown by the claim checks below with the reason as API Gateway words it. */
class ClaimRejected extends Error {}

/**
 * The reason in API Gateway's words. AWS documents one of them ("the token does not have a valid audience");
 * the others follow the same wording; every one is a plain sentence without token material.
 */
function describe(error: unknown): string {
  if (error instanceof ClaimRejected) return error.message;
  if (error instanceof JwtExpiredError) return 'the token has expired';
  if (error instanceof JwtNotBeforeError) return 'the token is not valid yet';
  if (error instanceof JwtInvalidIssuerError) return 'the token does not have a valid issuer';
  if (error instanceof JwtParseError) return 'the token is malformed';
  return 'the token signature is invalid';
}

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
        // API Gateway requires `exp` (and rejects a token without one); aws-jwt-verify only checks it when present.
        if (typeof payload.exp !== 'number')
          throw new ClaimRejected('the token does not have an expiration time');
        // API Gateway matches `aud`, and `client_id` only when there is no `aud`.
        const audiences = [payload.aud ?? payload.client_id]
          .flat()
          .filter((v): v is string => typeof v === 'string');
        if (!audiences.includes(options.clientId))
          throw new ClaimRejected('the token does not have a valid audience');
        // API Gateway's authorizer refuses ID tokens through the required scope (they carry none); checking
        // token_use as well makes the local gateway refuse them for the same reason and by name.
        const scopes = typeof payload.scope === 'string' ? payload.scope.split(' ') : [];
        if (payload.token_use !== 'access' || !options.requiredScopes.every((s) => scopes.includes(s)))
          throw new ClaimRejected('the token does not have a valid scope');
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
    // The identity source holds the token alone or prefixed with "Bearer " (API Gateway takes either).
    if (!authorization?.trim()) throw new AuthorizerRejection(undefined);
    const token = /^Bearer (\S+)$/i.exec(authorization.trim())?.[1] ?? authorization.trim();
    if (!/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(token))
      throw new AuthorizerRejection('the token is malformed');
    try {
      return (await verifier.verify(token)) as unknown as Record<string, unknown>;
    } catch (error) {
      throw new AuthorizerRejection(describe(error));
    }
  };
}
