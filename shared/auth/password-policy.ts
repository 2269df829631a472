import type { FieldError } from '#shared/errors';

/**
 * The user pool's password policy. The CDK user pool is created with these numbers, and the register handler
 * checks them too so a weak password gets a 400 naming the rule before Cognito is called (and locally, where
 * cognito-local does not enforce the policy).
 */
export const PASSWORD_POLICY = {
  minLength: 12,
  maxLength: 256,
  requireLowercase: true,
  requireUppercase: true,
  requireDigits: true,
  requireSymbols: true,
} as const;

// Cognito's accepted special characters.
const SYMBOLS = /[\^$*.[\]{}()?"!@#%&/\\,><':;|_~`=+\- ]/;

/** Every rule the password breaks, as field errors on `password`; empty when it satisfies the policy. */
export function passwordPolicyViolations(password: string): FieldError[] {
  const broken: string[] = [];
  if (password.length < PASSWORD_POLICY.minLength)
    broken.push(`must be at least ${PASSWORD_POLICY.minLength} characters long`);
  if (password.length > PASSWORD_POLICY.maxLength)
    broken.push(`must be at most ${PASSWORD_POLICY.maxLength} characters long`);
  if (!/[a-z]/.test(password)) broken.push('must contain a lowercase letter');
  if (!/[A-Z]/.test(password)) broken.push('must contain an uppercase letter');
  if (!/[0-9]/.test(password)) broken.push('must contain a digit');
  if (!SYMBOLS.test(password)) broken.push('must contain a symbol');
  return broken.map((message) => ({ path: 'password', message: `Password ${message}` }));
}
