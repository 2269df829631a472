import { optionalEnv } from '#shared/config';
import { ServiceUnavailable, Unauthorized } from '#shared/errors';

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
    if (res.status < 500 && /NotAuthorized|UserNotFound|UserNotConfirmed|PasswordResetRequired/.test(type)) {
      throw new Unauthorized();
    }
    throw new ServiceUnavailable('The identity service is unavailable.');
  }
  const attr = (name: string) => body.UserAttributes?.find((a) => a.Name === name)?.Value;
  const email = attr('email');
  if (!email) throw new Unauthorized('The account has no email address.');
  return { email: email.toLowerCase(), name: attr('name') ?? '' };
}
