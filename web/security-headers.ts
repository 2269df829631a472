/**
 * The web app's security headers, the same locally (`npm start`) and on CloudFront: a strict CSP (no inline
 * script or style), no framing, no referrer (the OAuth return briefly carries a ticket in the address bar).
 */
export function contentSecurityPolicy(connectSources: readonly string[]): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    `connect-src ${["'self'", ...connectSources].join(' ')}`,
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

export const OTHER_SECURITY_HEADERS = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'permissions-policy': 'camera=(), microphone=(), geolocation=(), payment=()',
} as const;

/** The app's own paths (the SPA's pages): each is answered with index.html. */
export const APP_PAGES = [
  '/',
  '/signin',
  '/signup',
  '/confirm',
  '/dashboard',
  '/files',
  '/brand-voice',
] as const;
