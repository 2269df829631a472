import type http from 'node:http';

const escapeHtml = (value: string) =>
  value.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );

/**
 * A stand-in for the frontend's `/dashboard` page, served by `npm start` only when FRONTEND_URL is not set, so
 * the connect flow can be walked offline in a browser: it shows where the OAuth callback sent the browser and
 * the call the real frontend would make next. Everything shown is escaped.
 */
export function serveLocalDashboard(url: URL, res: http.ServerResponse, apiBase: string): void {
  const q = url.searchParams;
  const provider = escapeHtml(q.get('provider') ?? '');
  const body =
    q.get('cloud_connect') === 'confirm'
      ? `<p>The provider sent you back with a one-time ticket for <b>${provider}</b>. The frontend now confirms it with the
         signed-in user's token:</p>
         <pre>curl -s -XPOST ${escapeHtml(apiBase)}/cloud-storage/connections/${provider}/confirm \\
  -H "authorization: Bearer $ACCESS_TOKEN" -H 'content-type: application/json' \\
  -d '{"ticket":"${escapeHtml(q.get('ticket') ?? '')}"}'</pre>`
      : `<p>Connecting <b>${provider}</b> did not complete: <code>${escapeHtml(q.get('reason') ?? 'unknown')}</code>.</p>`;
  res.writeHead(200, {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'referrer-policy': 'no-referrer',
    'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'",
  });
  res.end(`<!doctype html><html><head><meta charset="utf-8"><title>brand-cloud local dashboard</title>
<style>body{font:16px system-ui;margin:3rem auto;max-width:46rem}pre{background:#f4f4f4;padding:1rem;white-space:pre-wrap}</style>
</head><body><h1>Local dashboard</h1>${body}</body></html>`);
}
