/** An explicit response for the few routes that do not answer with their route's JSON body (redirects). */
export class HttpResponse {
  constructor(
    readonly statusCode: number,
    readonly body?: unknown,
    readonly headers: Record<string, string> = {},
  ) {}

  static redirect(location: string, headers: Record<string, string> = {}): HttpResponse {
    return new HttpResponse(302, undefined, { location, ...headers });
  }
}
