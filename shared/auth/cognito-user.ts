import { optionalEnv } from '#shared/config';
import { ServiceUnavailable, Unauthorized } from '#shared/errors';
import { sanitiseName } from '#shared/text';

export interface CognitoProfile {
  email: string;
  name: string;
}

/**
 * Cognito GetUser with the caller's own access token. A plain JSON call rather than the SDK: it runs only when
 * a user's row must be provisioned, and keeping the Cognito SDK out of every data function's bundle is worth
 * twenty lines. GetUser needs no AWS credentials (the access token is the credential).
 */
export async function getCognitoProfile(accessToken: string): Promise<CognitoProfile> {
  const result = await getUser(accessToken);
  if (result.outcome !== 'live') throw new Unauthorized();
  const attr = (name: string) => result.attributes.find((a) => a.Name === name)?.Value;
  const email = attr('email');
  if (!email) throw new Unauthorized('The account has no email address.');
  // Attributes can be written by any client of the pool, past our validation: a NUL or a lone surrogate in
  // `name` would otherwise fail the insert of every later request of this user.
  return { email: email.toLowerCase(), name: sanitiseName(attr('name'), 200) };
}

/**
 * Before anything irreversible (deleting the account, disconnecting a provider): proves with Cognito that the
 * access token is still good, since the JWT authorizer only checks the signature and expiry, and a signed-out
 * (revoked), disabled or deleted user's token stays valid for its 15 minutes. `user-gone` only for
 * UserNotFoundException (the user no longer exists); every other refusal is a 401, and nothing may run.
 */
export async function proveAccessToken(accessToken: string | undefined): Promise<'live' | 'user-gone'> {
  if (!accessToken) throw new Unauthorized();
  const result = await getUser(accessToken);
  if (result.outcome === 'refused') throw new Unauthorized('The access token is no longer valid.');
  return result.outcome;
}

type GetUserResult =
  | { outcome: 'live'; attributes: Array<{ Name: string; Value?: string }> }
  | { outcome: 'user-gone' | 'refused' };

async function getUser(accessToken: string): Promise<GetUserResult> {
  const region = optionalEnv('AWS_REGION') ?? 'us-east-1';
  const endpoint = optionalEnv('COGNITO_ENDPOINT') ?? `https://cognito-idp.${region}.amazonaws.com/`;
  let res: Response;
  try {
    res = await fetch(endpoint, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-amz-json-1.1',
        'x-amz-target': 'AWSCognitoIdentityProviderService.GetUser',
      },
      body: JSON.stringify({ AccessToken: accessToken }),
      signal: AbortSignal.timeout(5_000),
    });
  } catch {
    throw new ServiceUnavailable('The identity service is unavailable.');
  }
  const body = (await res.json().catch(() => ({}))) as {
    __type?: string;
    UserAttributes?: Array<{ Name: string; Value?: string }>;
  };
  if (!res.ok) {
    const type = body.__type?.split('#').pop() ?? '';
    if (res.status < 500 && type === 'UserNotFoundException') return { outcome: 'user-gone' };
    if (res.status < 500 && /NotAuthorized|UserNotConfirmed|PasswordResetRequired/.test(type)) {
      return { outcome: 'refused' };
    }
    throw new ServiceUnavailable('The identity service is unavailable.');
  }
  return { outcome: 'live', attributes: body.UserAttributes ?? [] };
}
