import { escapeHtml as e } from './http.ts';

const STYLE = `
  body { font-family: system-ui, sans-serif; background: #f4f5f7; margin: 0; padding: 3rem 1rem; color: #1f2328; }
  main { max-width: 30rem; margin: 0 auto; background: #fff; border-radius: 8px; padding: 2rem;
         box-shadow: 0 1px 4px rgba(0,0,0,.12); }
  h1 { font-size: 1.3rem; margin-top: 0; }
  .banner { font-size: .8rem; background: #fff4ce; padding: .4rem .6rem; border-radius: 4px; margin-bottom: 1rem; }
  code { background: #f0f0f0; padding: 0 .25rem; border-radius: 3px; word-break: break-all; }
  ul { padding-left: 1.2rem; }
  label { display: block; margin: 1rem 0 .3rem; font-size: .9rem; }
  input[type=email] { width: 100%; box-sizing: border-box; padding: .4rem; }
  .actions { display: flex; gap: .8rem; margin-top: 1.5rem; }
  button { padding: .5rem 1.4rem; font-size: 1rem; border-radius: 4px; border: 1px solid #888; cursor: pointer; }
  #allow { background: #1a73e8; color: #fff; border-color: #1a73e8; }
`;

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${e(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
<div class="banner">Provider sandbox: a local fake, no real account is involved.</div>
${body}
</main>
</body>
</html>
`;
}

export interface ConsentPageInput {
  providerName: string;
  clientId: string;
  scopes: string[];
  offline: boolean;
  email: string;
  /** Where the form posts to (the authorize path itself). */
  action: string;
  requestId: string;
}

/** Plain server-rendered consent: every value is escaped, the form carries only an opaque request id. */
export function renderConsentPage(input: ConsentPageInput): string {
  const scopes = input.scopes.length
    ? `<ul id="scopes">${input.scopes.map((s) => `<li><code>${e(s)}</code></li>`).join('')}</ul>`
    : '<p id="scopes">No specific scopes requested (the app\'s default permissions).</p>';
  return page(
    `Sign in – ${input.providerName} (sandbox)`,
    `<h1>${e(input.providerName)}: allow access?</h1>
<p>The application <code id="client-id">${e(input.clientId)}</code> wants to:</p>
${scopes}
<p>${input.offline ? 'It asks for <strong>offline access</strong> (a refresh token).' : 'It does not ask for offline access.'}</p>
<form method="post" action="${e(input.action)}">
<input type="hidden" name="request" value="${e(input.requestId)}">
<label for="email">Continue as</label>
<input type="email" id="email" name="email" value="${e(input.email)}" autocomplete="off">
<div class="actions">
<button type="submit" id="allow" name="decision" value="allow">Allow</button>
<button type="submit" id="deny" name="decision" value="deny">Deny</button>
</div>
</form>`,
  );
}

/** What real providers show for an unknown client or an unregistered redirect URI: an error, no redirect. */
export function renderErrorPage(providerName: string, error: string, description: string): string {
  return page(
    `Error – ${providerName} (sandbox)`,
    `<h1>${e(providerName)}: this request is invalid</h1>
<p>Error: <code id="error">${e(error)}</code></p>
<p id="error-description">${e(description)}</p>`,
  );
}
