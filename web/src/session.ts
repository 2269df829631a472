import { type Api, createApi } from './api/client.ts';
import { ApiProblem, networkProblem, toProblem } from './api/problems.ts';

/**
 * The signed-in session: tokens in memory and sessionStorage only (never localStorage), refreshed silently a
 * minute before the access token expires; signing out clears everything.
 */
interface Tokens {
  accessToken: string;
  refreshToken: string;
  expiresAt: number;
}

const KEY = 'brand-cloud.session';
const REFRESH_MARGIN_MS = 60_000;

type Listener = () => void;

export class Session {
  private tokens: Tokens | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly listeners = new Set<Listener>();
  readonly api: Api;
  /** Why the session ended, shown once on the sign-in page. */
  endedBecause: string | undefined;

  constructor(readonly apiUrl: string) {
    this.api = createApi(apiUrl, () => this.tokens?.accessToken);
    this.api.use({
      onResponse: ({ response, request }) => {
        // An access token the API no longer accepts: the session is over (refresh runs before expiry).
        if (response.status === 401 && request.headers.has('authorization') && this.tokens) {
          this.end('Your session has ended. Sign in again.');
        }
        return response;
      },
    });
    try {
      const saved = JSON.parse(sessionStorage.getItem(KEY) ?? 'null') as Tokens | null;
      if (saved?.accessToken && saved.refreshToken && saved.expiresAt > Date.now()) this.set(saved);
    } catch {
      sessionStorage.removeItem(KEY);
    }
  }

  get signedIn(): boolean {
    return this.tokens !== undefined;
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private notify() {
    for (const listener of this.listeners) listener();
  }

  private set(tokens: Tokens | undefined) {
    this.tokens = tokens;
    clearTimeout(this.timer);
    if (tokens) {
      sessionStorage.setItem(KEY, JSON.stringify(tokens));
      const wait = Math.max(5_000, tokens.expiresAt - Date.now() - REFRESH_MARGIN_MS);
      this.timer = setTimeout(() => void this.refresh(), wait);
    } else sessionStorage.removeItem(KEY);
    this.notify();
  }

  async signIn(email: string, password: string): Promise<void> {
    const { data, error, response } = await this.api
      .POST('/auth/login', { body: { email, password } })
      .catch(() => Promise.reject(networkProblem()));
    if (!data) {
      throw toProblem(response.status, error, response.headers, {
        unauthorized: 'Incorrect email or password.',
      });
    }
    this.endedBecause = undefined;
    this.set({
      accessToken: data.accessToken,
      refreshToken: data.refreshToken,
      expiresAt: Date.now() + data.expiresIn * 1000,
    });
  }

  /** Silent refresh; a refused refresh token ends the session with a reason. */
  async refresh(): Promise<void> {
    const current = this.tokens;
    if (!current) return;
    try {
      const { data, response } = await this.api.POST('/auth/refresh', {
        body: { refreshToken: current.refreshToken },
      });
      if (this.tokens !== current) return;
      if (data) {
        this.set({
          ...current,
          accessToken: data.accessToken,
          expiresAt: Date.now() + data.expiresIn * 1000,
        });
      } else if (response.status === 401 || response.status === 400) {
        this.end('Your session has ended. Sign in again.');
      } else {
        this.timer = setTimeout(() => void this.refresh(), 15_000);
      }
    } catch {
      // Offline: try again shortly, while the access token may still be valid.
      this.timer = setTimeout(() => void this.refresh(), 15_000);
    }
  }

  end(reason?: string) {
    this.endedBecause = reason;
    this.set(undefined);
  }

  signOut() {
    sessionStorage.clear();
    this.end();
  }

  /** Unwraps an openapi-fetch answer: the data, or an ApiProblem in words. */
  async call<T>(
    request: Promise<{ data?: T; error?: unknown; response: Response }>,
    overrides?: Record<string, string>,
  ): Promise<T> {
    let result: { data?: T; error?: unknown; response: Response };
    try {
      result = await request;
    } catch (error) {
      if (error instanceof ApiProblem) throw error;
      throw networkProblem();
    }
    const { data, error, response } = result;
    if (response.ok) return data as T;
    throw toProblem(response.status, error, response.headers, overrides);
  }

  /** A call to a route the generated client does not know yet; same error handling. */
  async raw<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = {};
    if (this.tokens) headers.authorization = `Bearer ${this.tokens.accessToken}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    try {
      response = await fetch(`${this.apiUrl}${path}`, {
        method,
        headers,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch {
      throw networkProblem();
    }
    const text = await response.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    if (response.status === 401 && this.tokens) this.end('Your session has ended. Sign in again.');
    if (!response.ok) throw toProblem(response.status, json, response.headers);
    return json as T;
  }
}
