import {
  AdminDeleteUserCommand,
  ConfirmSignUpCommand,
  InitiateAuthCommand,
  SignUpCommand,
  type SignUpCommandOutput,
} from '@aws-sdk/client-cognito-identity-provider';
import {
  BadRequest,
  Conflict,
  HttpProblem,
  ServiceUnavailable,
  TooManyRequests,
  Unauthorized,
} from '#shared/errors';
import { logger } from '#shared/logger';
import { cognito, cognitoClientId, cognitoUserPoolId } from './cognito.ts';
import { passwordPolicyViolations } from './password-policy.ts';
import { createUserRow } from './provision.ts';
import type { LoginBody, RegisterBody } from './schemas.ts';

/** Signed in, but the email address is not confirmed yet (documented in the README's problem types). */
export class UserNotConfirmed extends HttpProblem {
  constructor() {
    super(403, 'user-not-confirmed', 'Account not confirmed', {
      detail: 'Confirm the email address with POST /auth/confirm before signing in.',
    });
  }
}

/**
 * Cognito exceptions → typed problems. Cognito's messages are never passed through, except the password
 * rule a weak password broke. cognito-local reports a wrong password as InvalidPasswordException where
 * Cognito says NotAuthorizedException; during sign-in both mean 401.
 */
function mapCognitoError(error: unknown, during: 'signup' | 'signin' | 'confirm' | 'refresh'): never {
  const name = (error as { name?: string })?.name ?? '';
  const message = (error as { message?: string })?.message ?? '';
  switch (name) {
    case 'UsernameExistsException':
      throw new Conflict('An account with this email address already exists.', 'email-taken');
    case 'InvalidPasswordException':
      if (during === 'signup') {
        throw new BadRequest('The password does not meet the policy.', [
          {
            path: 'password',
            message: message.replace(/^.*?:\s*/, '') || 'Password does not meet the policy',
          },
        ]);
      }
      throw new Unauthorized('Incorrect email or password.');
    case 'NotAuthorizedException':
    case 'UserNotFoundException':
      if (during === 'confirm')
        throw new BadRequest('The confirmation code is invalid.', [
          { path: 'code', message: 'Invalid code' },
        ]);
      throw new Unauthorized(
        during === 'refresh' ? 'The refresh token is invalid or expired.' : 'Incorrect email or password.',
      );
    case 'UserNotConfirmedException':
      throw new UserNotConfirmed();
    case 'PasswordResetRequiredException':
      throw new HttpProblem(403, 'password-reset-required', 'Password reset required', {
        detail: 'The password must be reset before signing in.',
      });
    case 'CodeMismatchException':
    case 'ExpiredCodeException':
      throw new BadRequest('The confirmation code is invalid or expired.', [
        { path: 'code', message: 'Invalid or expired code' },
      ]);
    case 'InvalidParameterException':
      throw new BadRequest('The request was refused by the identity service.');
    case 'TooManyRequestsException':
    case 'LimitExceededException':
    case 'TooManyFailedAttemptsException':
      throw new TooManyRequests('Too many attempts; try again later.', 30);
    default:
      logger.error('Cognito call failed', { during, errorName: name });
      throw new ServiceUnavailable('The identity service is unavailable.');
  }
}

export async function register(input: RegisterBody) {
  const violations = passwordPolicyViolations(input.password);
  if (violations.length > 0) throw new BadRequest('The password does not meet the policy.', violations);
  let out: SignUpCommandOutput;
  try {
    out = await cognito().send(
      new SignUpCommand({
        ClientId: cognitoClientId(),
        Username: input.email,
        Password: input.password,
        UserAttributes: [
          { Name: 'email', Value: input.email },
          { Name: 'name', Value: input.name },
        ],
      }),
    );
  } catch (error) {
    mapCognitoError(error, 'signup');
  }
  const userId = out.UserSub!;
  try {
    await createUserRow(userId, {
      email: input.email,
      name: input.name,
      organizationName: input.organizationName ?? null,
    });
  } catch (error) {
    // Without its row the sign-up is half an account: undo it, so a retry can register the email again.
    await undoSignUp(input.email);
    throw error;
  }
  return { userId, email: input.email, confirmationRequired: !out.UserConfirmed };
}

/**
 * Deletes a Cognito user this request has just signed up (AdminDeleteUser, the route's only admin grant). A
 * failure here is logged for an operator and does not hide the original error.
 */
async function undoSignUp(email: string): Promise<void> {
  try {
    await cognito().send(new AdminDeleteUserCommand({ UserPoolId: cognitoUserPoolId(), Username: email }));
  } catch (error) {
    logger.error('Could not undo a sign-up whose user row failed', {
      errorName: (error as { name?: string })?.name ?? 'unknown',
    });
  }
}

export async function confirm(input: { email: string; code: string }): Promise<void> {
  try {
    await cognito().send(
      new ConfirmSignUpCommand({
        ClientId: cognitoClientId(),
        Username: input.email,
        ConfirmationCode: input.code,
      }),
    );
  } catch (error) {
    mapCognitoError(error, 'confirm');
  }
}

async function initiateAuth(
  flow: 'USER_PASSWORD_AUTH' | 'REFRESH_TOKEN_AUTH',
  params: Record<string, string>,
) {
  try {
    const out = await cognito().send(
      new InitiateAuthCommand({ ClientId: cognitoClientId(), AuthFlow: flow, AuthParameters: params }),
    );
    const result = out.AuthenticationResult;
    if (!result?.AccessToken || !result.IdToken) {
      // A challenge (new password, MFA) is not part of this API.
      throw new HttpProblem(403, 'challenge-required', 'Additional sign-in step required', {
        detail: 'This account requires a sign-in step the API does not support.',
      });
    }
    return result;
  } catch (error) {
    mapCognitoError(error, flow === 'USER_PASSWORD_AUTH' ? 'signin' : 'refresh');
  }
}

export async function login(input: LoginBody) {
  const result = await initiateAuth('USER_PASSWORD_AUTH', {
    USERNAME: input.email,
    PASSWORD: input.password,
  });
  return {
    accessToken: result.AccessToken!,
    idToken: result.IdToken!,
    refreshToken: result.RefreshToken!,
    expiresIn: result.ExpiresIn ?? 3600,
    tokenType: 'Bearer' as const,
  };
}

export async function refresh(input: { refreshToken: string }) {
  const result = await initiateAuth('REFRESH_TOKEN_AUTH', { REFRESH_TOKEN: input.refreshToken });
  return {
    accessToken: result.AccessToken!,
    idToken: result.IdToken!,
    expiresIn: result.ExpiresIn ?? 3600,
    tokenType: 'Bearer' as const,
  };
}
