import { randomBytes } from 'node:crypto';

/** A user registered and signed in through the API, with the tokens a frontend would hold. */
export interface ApiUser {
  userId: string;
  email: string;
  password: string;
  accessToken: string;
  idToken: string;
  refreshToken: string;
}

export interface ApiResponse<T = unknown> {
  status: number;
  headers: Headers;
  /** The parsed JSON body, or the text when it is not JSON. */
  body: T;
  text: string;
}

export interface ApiRequestOptions {
  /** Sent as `Authorization: Bearer …`. */
  token?: string;
  /** A JSON value, sent with `content-type: application/json`. */
  body?: unknown;
  /** A body string sent as is (with whatever content type `headers` names). */
  raw?: string;
  headers?: Record<string, string>;
  /** `manual` (the default) returns redirects instead of following them. */
  redirect?: 'manual' | 'follow';
}

export interface ApiClient {
  request<T = unknown>(method: string, urlPath: string, options?: ApiRequestOptions): Promise<ApiResponse<T>>;
  /** Registers and signs in a fresh user through the API (the path a frontend takes). */
  createUser(label?: string): Promise<ApiUser>;
}

/** Sees every answer the client receives (the e2e contract check records them). */
export type ResponseObserver = (
  method: string,
  urlPath: string,
  status: number,
  headers: Headers,
  text: string,
) => void;

/** The HTTP client of the tests and the bench: JSON in and out against an API base URL (the local gateway). */
export function apiClient(baseUrl: string, observe?: ResponseObserver): ApiClient {
  const request: ApiClient['request'] = async (method, urlPath, options = {}) => {
    const headers: Record<string, string> = { ...(options.headers ?? {}) };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    let body: string | undefined = options.raw;
    if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers['content-type'] ??= 'application/json';
    }
    const res = await fetch(`${baseUrl}${urlPath}`, {
      method,
      headers,
      body,
      redirect: options.redirect ?? 'manual',
    });
    const text = await res.text();
    // A followed redirect answered for another URL: only direct answers are observed.
    if (!res.redirected) observe?.(method, urlPath, res.status, res.headers, text);
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON: keep the text
    }
    return { status: res.status, headers: res.headers, body: parsed as never, text };
  };

  const createUser = async (label = 'user'): Promise<ApiUser> => {
    const email = `${label}-${randomBytes(5).toString('hex')}@example.test`;
    const password = `Pw-${randomBytes(8).toString('hex')}-A1!`;
    const reg = await request<{ userId: string }>('POST', '/auth/register', {
      body: { email, password, name: `User ${label}` },
    });
    if (reg.status !== 201) throw new Error(`register failed: ${reg.status} ${reg.text}`);
    const login = await request<{ accessToken: string; idToken: string; refreshToken: string }>(
      'POST',
      '/auth/login',
      { body: { email, password } },
    );
    if (login.status !== 200) throw new Error(`login failed: ${login.status} ${login.text}`);
    return { userId: reg.body.userId, email, password, ...login.body };
  };

  return { request, createUser };
}
