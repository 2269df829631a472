import {
  BadGateway,
  BadRequest,
  HttpProblem,
  NotFound,
  PayloadTooLarge,
  ServiceUnavailable,
  TooManyRequests,
} from '#shared/errors';
import { ProviderError } from '#shared/providers/errors';
import { FileContentError, PageTokenError } from '#shared/providers/file-content';
import type { Provider } from '#shared/providers/types';
import { permanentFailure } from './health.ts';

/**
 * Every outcome of the connection code as the HTTP problem a client sees, in one place and in our own words
 * (provider text never reaches a client): refresh outcomes, provider failures, vault failures, file refusals.
 * Each provider is named one way everywhere.
 */

export const PROVIDER_NAMES: Record<Provider, string> = {
  google_drive: 'Google Drive',
  onedrive: 'OneDrive',
  dropbox: 'Dropbox',
};

/** Retry-After when the provider throttles without saying for how long (Drive's 403 rate-limit reasons). */
export const DEFAULT_RETRY_AFTER_SECONDS = 5;

export const connectionNotFound = () => new NotFound('Connection');

/**
 * The connection cannot be used until someone acts. Its health reason travels as the problem's `reason`, so a
 * client can say what to do: reconnect, or (for `admin_consent_required`) ask the organisation's admin, which
 * reconnecting would not fix.
 */
export const reauthRequired = (provider: Provider, reason?: string | null) => {
  const name = PROVIDER_NAMES[provider];
  return new HttpProblem(409, 'reauth-required', 'Conflict', {
    detail:
      reason === 'admin_consent_required'
        ? `Your organisation's admin must approve this app for ${name} before the connection can be used.`
        : `The ${name} connection has to be authorised again: reconnect it to continue.`,
    ...(reason ? { extensions: { reason } } : {}),
  });
};

/**
 * A re-consent returned a different provider account than the one connected, without a refresh token of its
 * own: the previous account's refresh token cannot be carried over (files would come from the old account
 * while the connection shows the new one), so nothing changes.
 */
export const accountMismatch = (provider: Provider) =>
  new HttpProblem(409, 'account-mismatch', 'Conflict', {
    detail: `The ${PROVIDER_NAMES[provider]} account you authorised is not the connected one. Disconnect first to switch accounts.`,
    extensions: { reason: 'account_mismatch' },
  });

export const providerNotConfigured = (provider: Provider) =>
  new ServiceUnavailable(
    `${PROVIDER_NAMES[provider]} is not configured on this server.`,
    60,
    'provider-not-configured',
  );

const rateLimited = (provider: Provider, retryAfterSeconds: number | undefined) =>
  new TooManyRequests(
    `${PROVIDER_NAMES[provider]} is limiting requests. Try again later.`,
    retryAfterSeconds ?? DEFAULT_RETRY_AFTER_SECONDS,
  );

/** Refresh on use waits out a transient failure's backoff: nothing was asked of the provider. */
export const refreshBackoff = (provider: Provider, retryAfterSeconds: number) =>
  new ServiceUnavailable(
    `${PROVIDER_NAMES[provider]} could not renew the connection's access recently. Try again later.`,
    retryAfterSeconds,
    'provider-backoff',
  );

/** The vault could not open or seal a connection's tokens (KMS down, key disabled): nothing was changed. */
export const vaultUnavailable = () =>
  new ServiceUnavailable('Stored credentials could not be read. Try again later.', 5);

/** A refresh on use that did not produce a usable token. */
export type RefreshFailure =
  | { kind: 'needs_reauth'; reason?: string | null }
  | { kind: 'transient'; rateLimited: boolean; retryAfterSeconds?: number; nextRefreshAt: string }
  | { kind: 'config' }
  | { kind: 'vault' };

export function refreshProblem(outcome: RefreshFailure, provider: Provider): HttpProblem {
  const name = PROVIDER_NAMES[provider];
  switch (outcome.kind) {
    case 'needs_reauth':
      return reauthRequired(provider, outcome.reason);
    case 'transient':
      // The provider's own Retry-After (429 or 503) is passed on; a bare failure is a 502.
      if (outcome.rateLimited) return rateLimited(provider, outcome.retryAfterSeconds);
      return outcome.retryAfterSeconds === undefined
        ? new BadGateway(`${name} could not renew the connection's access.`)
        : new ServiceUnavailable(
            `${name} is unavailable. Try again later.`,
            outcome.retryAfterSeconds,
            'provider-unavailable',
          );
    case 'config':
      return new BadGateway(`The connection to ${name} could not be renewed.`);
    case 'vault':
      return vaultUnavailable();
  }
}

/**
 * A provider API failure the session could not absorb, as a problem; `not_found` and `access` are left to the
 * caller (undefined), who knows what was asked for (see fileProblem).
 */
export function providerProblem(error: ProviderError, provider: Provider): HttpProblem | undefined {
  const name = PROVIDER_NAMES[provider];
  switch (error.kind) {
    case 'reauth':
      return reauthRequired(provider, permanentFailure(error.code).reason);
    case 'rate_limited':
      return rateLimited(provider, error.retryAfterSeconds);
    case 'transient':
      return new BadGateway(`${name} did not answer successfully. Try again later.`);
    case 'expired_token':
      return new BadGateway(`${name} refused the connection's renewed access.`);
    case 'config':
      return error.code === 'not_configured'
        ? providerNotConfigured(provider)
        : new BadGateway(`The connection to ${name} is misconfigured.`);
    default:
      return undefined;
  }
}

export const invalidId = (path: 'folderId' | 'fileId') =>
  new BadRequest(`The ${path} is not a valid id for this provider.`, [{ path, message: 'Invalid id' }]);

export const invalidPageToken = () =>
  new BadRequest('The cursor is invalid or has expired.', [{ path: 'cursor', message: 'Invalid cursor' }]);

/**
 * Words the failures the session leaves to its caller: what was not found, which parameter was wrong, a file
 * that cannot be imported. Everything else is already a problem and passes through.
 */
export function fileProblem(error: unknown, context: { what: 'Folder' | 'File'; paging?: boolean }): never {
  if (error instanceof PageTokenError) throw invalidPageToken();
  if (error instanceof FileContentError) {
    if (error.reason === 'too_large')
      throw new PayloadTooLarge('The file is larger than 1 MiB, the limit for imported text.');
    if (error.reason === 'not_a_file')
      throw new BadRequest('The fileId refers to a folder, not a file.', [
        { path: 'fileId', message: 'Not a file' },
      ]);
    throw new BadRequest('Only UTF-8 text files and Google Docs can be imported; this file is not text.', [
      { path: 'fileId', message: 'Not a text file' },
    ]);
  }
  if (error instanceof ProviderError) {
    if (error.kind === 'not_found') throw new NotFound(context.what);
    if (error.code === 'export_too_large')
      throw new PayloadTooLarge('Google exports at most 10 MB of a Google Docs file; this one is larger.');
    if (error.code === 'not_folder')
      throw new BadRequest('The folderId refers to a file, not a folder.', [
        { path: 'folderId', message: 'Not a folder' },
      ]);
    if (error.code === 'not_file')
      throw new BadRequest('The fileId refers to a folder, not a file.', [
        { path: 'fileId', message: 'Not a file' },
      ]);
    // A next page Graph pointed outside the caller's drive: our problem with its answer, not the client's token.
    if (error.code === 'foreign_next_link')
      throw new BadGateway('The storage provider answered with a next page outside the connected drive.');
    // The provider refused the continuation (expired cursor, reset listing).
    if (context.paging && error.kind === 'access') throw invalidPageToken();
    throw new BadGateway('The storage provider refused the request.');
  }
  throw error;
}
