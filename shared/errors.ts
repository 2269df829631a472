/**
 * Typed errors thrown from shared/ and turned into RFC 9457 problem+json by the HTTP error handler.
 * Handlers never build error responses themselves.
 */
export const PROBLEM_BASE = 'urn:brand-cloud:problem:';

export interface FieldError {
  path: string;
  message: string;
}

export interface ProblemOptions {
  detail?: string;
  errors?: FieldError[];
  headers?: Record<string, string>;
  /** RFC 9457 extension members (codes only, never provider text), e.g. `{ reason: 'account_mismatch' }`. */
  extensions?: Record<string, string>;
  cause?: unknown;
}

export class HttpProblem extends Error {
  readonly status: number;
  readonly type: string;
  readonly title: string;
  readonly detail: string;
  readonly errors: FieldError[] | undefined;
  readonly headers: Record<string, string>;
  readonly extensions: Record<string, string>;

  constructor(status: number, slug: string, title: string, options: ProblemOptions = {}) {
    super(options.detail ?? title, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.status = status;
    this.type = `${PROBLEM_BASE}${slug}`;
    this.title = title;
    this.detail = options.detail ?? title;
    this.errors = options.errors;
    this.headers = options.headers ?? {};
    this.extensions = options.extensions ?? {};
  }
}

export class BadRequest extends HttpProblem {
  constructor(detail: string, errors?: FieldError[]) {
    super(400, 'validation-error', 'Invalid request', { detail, ...(errors ? { errors } : {}) });
  }
}

export class MalformedJson extends HttpProblem {
  constructor() {
    super(400, 'malformed-json', 'Malformed JSON', { detail: 'The request body is not valid JSON.' });
  }
}

/** RFC 6750 challenge of a function's own 401: its detail as the description. */
const bearerChallenge = (detail: string) =>
  // RFC 6750 allows %x20-21 / %x23-5B / %x5D-7E in error_description; anything else is dropped.
  `Bearer error="invalid_token", error_description="${detail.replace(/[^ !#-[\]-~]/g, '')}"`;

export class Unauthorized extends HttpProblem {
  constructor(detail = 'A valid access token is required.') {
    super(401, 'unauthorized', 'Unauthorized', {
      detail,
      headers: { 'www-authenticate': bearerChallenge(detail) },
    });
  }
}

/**
 * The token is valid but its user has no row yet (created directly in Cognito) or no longer has one (deleted).
 * Where a handler is composed with first-use provisioning (`provisionOnFirstUse` in shared/auth), the row is
 * created from Cognito and the handler runs again; anywhere else the caller is not a valid user: a 401.
 */
export class UserNotProvisioned extends Unauthorized {
  constructor(readonly userId: string) {
    super();
  }
}

export class NotFound extends HttpProblem {
  constructor(what = 'Resource') {
    super(404, 'not-found', 'Not found', { detail: `${what} was not found.` });
  }
}

export class PayloadTooLarge extends HttpProblem {
  constructor(detail = 'The request body exceeds 2 MiB.') {
    super(413, 'payload-too-large', 'Payload too large', { detail });
  }
}

export class UnsupportedMediaType extends HttpProblem {
  constructor() {
    super(415, 'unsupported-media-type', 'Unsupported media type', {
      detail: 'The request body must be JSON (Content-Type: application/json).',
    });
  }
}

export class Conflict extends HttpProblem {
  constructor(detail: string, slug = 'conflict', errors?: FieldError[]) {
    super(409, slug, 'Conflict', { detail, ...(errors ? { errors } : {}) });
  }
}

export class UnprocessableReference extends HttpProblem {
  constructor(errors: FieldError[]) {
    super(422, 'unknown-reference', 'Unknown reference', {
      detail: 'The request references something that does not exist.',
      errors,
    });
  }
}

export class TooManyRequests extends HttpProblem {
  constructor(detail: string, retryAfterSeconds?: number) {
    super(429, 'rate-limited', 'Too many requests', {
      detail,
      ...(retryAfterSeconds === undefined ? {} : { headers: { 'retry-after': String(retryAfterSeconds) } }),
    });
  }
}

export class BadGateway extends HttpProblem {
  constructor(detail = 'An upstream provider failed.') {
    super(502, 'provider-error', 'Bad gateway', { detail });
  }
}

export class ServiceUnavailable extends HttpProblem {
  constructor(
    detail = 'The service is temporarily unavailable.',
    retryAfterSeconds = 1,
    slug = 'unavailable',
  ) {
    super(503, slug, 'Service unavailable', {
      detail,
      headers: { 'retry-after': String(retryAfterSeconds) },
    });
  }
}
