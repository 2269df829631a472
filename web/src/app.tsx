import { useEffect, useState } from 'preact/hooks';
import { Notifications } from './notifications.tsx';
import { Confirm, SignIn, SignUp } from './pages/auth.tsx';
import { BrandVoice } from './pages/brand-voice.tsx';
import { Files } from './pages/files.tsx';
import { Settings } from './pages/settings.tsx';
import type { Session } from './session.ts';
import { Link, navigate, useLocation } from './ui.tsx';

const PUBLIC = new Set(['/signin', '/signup', '/confirm']);

export function App(props: { session: Session }) {
  const { session } = props;
  const url = useLocation();
  const [, setTick] = useState(0);
  useEffect(() => session.subscribe(() => setTick((t) => t + 1)), []);

  const path = url.pathname;
  const signedIn = session.signedIn;
  useEffect(() => {
    // The OAuth return may arrive in a new tab: a signed-out visitor signs in first, then lands back here.
    if (!signedIn && !PUBLIC.has(path)) navigate('/signin', true);
    else if (signedIn && (PUBLIC.has(path) || path === '/')) navigate('/dashboard', true);
  }, [signedIn, path]);

  let page = null;
  if (!signedIn) {
    if (path === '/signup') page = <SignUp session={session} />;
    else if (path === '/confirm') page = <Confirm session={session} />;
    else page = <SignIn session={session} />;
  } else if (path === '/files') page = <Files session={session} />;
  else if (path === '/brand-voice') page = <BrandVoice session={session} key={url.search} />;
  else page = <Settings session={session} key={url.search} />;

  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <span class="brand">Brand Cloud</span>
        {signedIn && (
          <>
            <nav aria-label="Main">
              <Link href="/dashboard" current={path === '/dashboard' || path === '/files'}>
                Cloud storage
              </Link>
              <Link href="/brand-voice" current={path === '/brand-voice'}>
                Brand voice
              </Link>
            </nav>
            <Notifications session={session} />
            <button
              type="button"
              class="btn secondary"
              onClick={() => {
                session.signOut();
                navigate('/signin', true);
              }}
            >
              Sign out
            </button>
          </>
        )}
      </header>
      {page}
    </>
  );
}
