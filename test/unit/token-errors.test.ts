import { describe, expect, it } from 'vitest';
import { classifyTokenError } from '#shared/providers/errors';

describe('classifyTokenError: what a token endpoint refusal means, in codes only', () => {
  it('client-level refusals are configuration failures, not dead grants', () => {
    for (const error of ['invalid_client', 'unauthorized_client', 'deleted_client']) {
      expect(classifyTokenError(400, error)).toMatchObject({ kind: 'config', code: error });
    }
    expect(classifyTokenError(401, 'invalid_client')).toMatchObject({ kind: 'config' });
  });

  it('the classification decides whether a configuration failure concerns the whole provider (one place for every path)', () => {
    // Our client id or secret: every connection to the provider fails alike, a refresh pass stops that provider.
    for (const error of ['invalid_client', 'deleted_client', 'invalid_scope', 'unsupported_grant_type']) {
      expect(classifyTokenError(400, error).providerWide, error).toBe(true);
    }
    // Microsoft's unauthorized_client: the app is not allowed in one user's organisation; the others go on.
    expect(classifyTokenError(400, 'unauthorized_client').providerWide).toBe(false);
    for (const error of ['invalid_grant', 'temporarily_unavailable']) {
      expect(classifyTokenError(400, error).providerWide, error).toBe(false);
    }
    expect(classifyTokenError(429, 'rate_limit_exceeded').providerWide).toBe(false);
  });

  it('grant-level refusals need the user again', () => {
    for (const error of ['invalid_grant', 'interaction_required', 'consent_required', 'invalid_rapt']) {
      expect(classifyTokenError(400, error)).toMatchObject({ kind: 'reauth', code: error });
    }
  });

  it('provider prose in `error` is never kept as a code: it becomes http_<status>', () => {
    const prose = 'Internal server error. Please retry the request later <b>now</b>';
    expect(classifyTokenError(500, prose)).toMatchObject({ kind: 'transient', code: 'http_500' });
    expect(classifyTokenError(400, 'Bad request: refresh token is malformed')).toMatchObject({
      kind: 'config',
      code: 'http_400',
    });
    expect(classifyTokenError(503, undefined)).toMatchObject({ kind: 'transient', code: 'http_503' });
    expect(classifyTokenError(503, 'temporarily_unavailable')).toMatchObject({
      code: 'temporarily_unavailable',
    });
  });
});
