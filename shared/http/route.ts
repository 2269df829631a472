import type { z } from 'zod/mini';

/** What a route's function gets when its entry states no `timeoutSeconds`/`memoryMb` (CDK stack, local gateway). */
export const ROUTE_DEFAULTS = { timeoutSeconds: 10, memoryMb: 512 } as const;

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/**
 * What a function may reach in AWS. The CDK stack turns each capability into exactly one environment variable
 * set and one IAM grant; nothing else is granted.
 */
export type Capability =
  | 'db' // tenant-scoped PostgreSQL as brand_app
  | 'cognito' // Cognito user-pool API calls (sign-up, sign-in, delete user)
  | 'cognito-undo-signup' // AdminDeleteUser on the pool: undo a sign-up whose user row could not be written
  | 'vault' // KMS data keys for the token vault (with the encryption-context condition)
  | 'providers' // provider client credentials in Secrets Manager + outbound internet
  | 'signing-key' // the server's HMAC key in Secrets Manager (page cursors, PKCE verifiers)
  | 'documents-upload' // presign POSTs of new objects under users/* in the document store
  | 'documents-read' // presign GETs of objects under users/* in the document store
  | 'documents-delete' // list and delete objects under users/* (account deletion)
  | 'documents-delete-object' // delete single objects under users/* (asset deletion), no listing
  | 'documents-import'; // send import jobs to the document queue (SendMessage on that queue only)

export interface RouteDef {
  method: HttpMethod;
  /** API Gateway path syntax: `/competitors/{id}`. */
  path: string;
  /** `public` routes have no authorizer; `jwt` routes need a Cognito access token. */
  auth: 'public' | 'jwt';
  summary: string;
  tag: string;
  capabilities: readonly Capability[];
  params?: z.ZodMiniType;
  query?: z.ZodMiniType;
  body?: z.ZodMiniType;
  /** Successful status and response schema (for the OpenAPI document). */
  status: number;
  response?: z.ZodMiniType;
  /**
   * Other successful statuses with the same response schema (the handler answers them with an HttpResponse),
   * e.g. 200 for an import of a file imported before, where a new import is 202.
   */
  alsoAnswers?: Readonly<Record<number, string>>;
  /** Non-JSON success responses (redirects, 204). */
  responseKind?: 'json' | 'empty' | 'redirect';
  /**
   * Cannot be undone (account deletion, disconnecting a provider): the service proves the caller's token with
   * Cognito before acting, and a test calls every such route with a token Cognito refuses.
   */
  irreversible?: true;
  /** The tenant resource addressed by `{id}`, for the cross-tenant test matrix. */
  resource?: string;
  timeoutSeconds?: number;
  memoryMb?: number;
  /** Largest request body (default 2 MiB; Lambda caps a request at 6 MB). */
  maxBodyBytes?: number;
}

/** Routes that change something for a signed-in user accept an `Idempotency-Key` (shared/http/idempotency.ts). */
export const acceptsIdempotencyKey = (route: RouteDef): boolean =>
  route.auth === 'jwt' && route.method !== 'GET';
