import { useEffect, useRef, useState } from 'preact/hooks';
import type { Schemas } from './api/client.ts';
import { HEALTH_REASONS } from './api/problems.ts';
import type { Session } from './session.ts';
import { PROVIDER_NAMES } from './ui.tsx';

type FeedEvent = Schemas['Event'];

const POLL_MS = 30_000;

export function describe(event: FeedEvent): string {
  const provider = PROVIDER_NAMES[String(event.data.provider ?? '')] ?? 'A storage provider';
  const title = typeof event.data.title === 'string' ? `“${event.data.title}”` : 'A document';
  const reason = HEALTH_REASONS[String(event.data.reason ?? '')];
  switch (event.type) {
    case 'cloud_storage.connected':
      return `${provider} was connected.`;
    case 'cloud_storage.reconnected':
      return `${provider} was reconnected.`;
    case 'cloud_storage.refresh_failed':
      return `${provider}: renewing access failed${reason ? ` (${reason.toLowerCase()})` : ''}; we keep trying.`;
    case 'cloud_storage.needs_reauth':
      return `${provider} needs reconnecting${reason ? `: ${reason.toLowerCase()}` : ''}.`;
    case 'cloud_storage.recovered':
      return `${provider} works again.`;
    case 'cloud_storage.disconnected':
      return `${provider} was disconnected.`;
    case 'brand_voice_asset.ready':
      return `${title} is ready.`;
    case 'brand_voice_asset.failed':
      return `${title} could not be read.`;
    default:
      return 'Something changed in your account.';
  }
}

/** The event feed as a small bell list: polls `GET /events` from its cursor every 30 s while the tab is
 * visible, and at once when the list is opened. */
export function Notifications(props: { session: Session }) {
  const { session } = props;
  const [events, setEvents] = useState<FeedEvent[]>([]);
  const [unread, setUnread] = useState(0);
  const [open, setOpen] = useState(false);
  const [available, setAvailable] = useState(true);
  const cursor = useRef<string | null>(null);
  const panel = useRef<HTMLElement>(null);

  // Opening the list fetches what is new right away; new events arriving while it is open are not "unread".
  const pollNow = useRef<(() => void) | undefined>(undefined);
  const isOpen = useRef(false);
  isOpen.current = open;

  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    let stopped = false;
    let polling = false;
    const poll = async () => {
      if (polling) return;
      polling = true;
      try {
        if (document.visibilityState === 'visible') await fetchNew();
      } finally {
        polling = false;
      }
      if (!stopped) timer = setTimeout(poll, POLL_MS);
    };
    const fetchNew = async () => {
      try {
        for (let pages = 0; pages < 5; pages++) {
          const page = await session.call(
            session.api.GET('/events', {
              params: { query: cursor.current ? { cursor: cursor.current } : {} },
            }),
          );
          if (stopped) return;
          if (page.items.length) {
            setEvents((before) => [...[...page.items].reverse(), ...before].slice(0, 50));
            if (!isOpen.current) setUnread((n) => n + page.items.length);
          }
          if (page.nextCursor) cursor.current = page.nextCursor;
          if (!page.items.length || !page.nextCursor) break;
        }
      } catch (err) {
        // A server without the feed: hide the bell instead of showing an error every 30 s.
        if ((err as { status?: number }).status === 404) {
          setAvailable(false);
          stopped = true;
        }
      }
    };
    pollNow.current = () => {
      clearTimeout(timer);
      void poll();
    };
    void poll();
    const onVisible = () => {
      if (document.visibilityState === 'visible') pollNow.current?.();
    };
    document.addEventListener('visibilitychange', onVisible);
    return () => {
      stopped = true;
      clearTimeout(timer);
      document.removeEventListener('visibilitychange', onVisible);
    };
  }, []);

  useEffect(() => {
    if (!open) return;
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') setOpen(false);
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, [open]);

  if (!available) return null;
  return (
    <div class="bell">
      <button
        type="button"
        class="btn secondary"
        aria-expanded={open}
        aria-controls="notifications"
        onClick={() => {
          setOpen(!open);
          setUnread(0);
          if (!open) pollNow.current?.();
        }}
      >
        Notifications
        {unread > 0 && (
          <span class="badge">
            {unread}
            <span class="sr-only"> new</span>
          </span>
        )}
      </button>
      {open && (
        <section id="notifications" class="panel" ref={panel} aria-label="Notifications">
          {events.length === 0 ? (
            <p>Nothing new.</p>
          ) : (
            <ul>
              {events.map((e) => (
                <li key={e.id}>
                  {describe(e)}
                  <div class="muted">{new Date(e.occurredAt).toLocaleString()}</div>
                </li>
              ))}
            </ul>
          )}
        </section>
      )}
    </div>
  );
}
