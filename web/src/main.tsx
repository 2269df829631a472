import { render } from 'preact';
import { App } from './app.tsx';
import { Session } from './session.ts';

/** `config.json` sits next to the app: `{ "apiUrl": "" }` when the API is on the same origin. */
async function start() {
  let apiUrl = '';
  try {
    const config = (await (await fetch('/config.json', { cache: 'no-store' })).json()) as { apiUrl?: string };
    apiUrl = (config.apiUrl ?? '').replace(/\/$/, '');
  } catch {
    // Same origin.
  }
  const root = document.getElementById('app')!;
  root.textContent = '';
  render(<App session={new Session(apiUrl)} />, root);
}

void start();
