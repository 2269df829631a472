import { useEffect, useState } from 'preact/hooks';
import type { Schemas } from '../api/client.ts';
import { CONNECT_ERRORS, HEALTH_REASONS } from '../api/problems.ts';
import type { Session } from '../session.ts';
import {
  Button,
  ConfirmDialog,
  Link,
  Notice,
  PROVIDER_NAMES,
  PROVIDERS,
  ProblemNotice,
  type Provider,
  usePageTitle,
  when,
} from '../ui.tsx';

type Connection = Schemas['CloudConnection'];
/** Connection health (issue 17); read defensively until every server sends it. */
interface Health {
  reason?: string | null;
  warnings?: Array<{ code: string; message: string }>;
}
type WithHealth = Connection & { health?: Health; status: string };

const ALLOWS =
  'Lets Brand Cloud read your files, so you can import brand material. Nothing is changed or deleted.';

/** Starts the OAuth round trip: the browser leaves for the provider's consent page. */
async function startConnect(session: Session, provider: Provider) {
  const { authorizationUrl } = await session.call(
    session.api.GET('/cloud-storage/connect/{provider}', { params: { path: { provider } } }),
  );
  location.assign(authorizationUrl);
}

function ProviderCard(props: {
  session: Session;
  provider: Provider;
  connection: WithHealth | undefined;
  onChanged: () => void;
  highlight: boolean;
}) {
  const { session, provider, connection } = props;
  const name = PROVIDER_NAMES[provider]!;
  const [busy, setBusy] = useState<string>();
  const [error, setError] = useState<unknown>();
  const [confirming, setConfirming] = useState(false);
  const [result, setResult] = useState<string>();
  const act = async (what: string, fn: () => Promise<void>) => {
    setBusy(what);
    setError(undefined);
    setResult(undefined);
    try {
      await fn();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(undefined);
    }
  };
  const connect = () => act('connect', () => startConnect(session, provider));
  const disconnect = () =>
    act('disconnect', async () => {
      setConfirming(false);
      await session.call(
        session.api.DELETE('/cloud-storage/connections/{provider}', { params: { path: { provider } } }),
      );
      setResult(`${name} is disconnected.`);
      props.onChanged();
    });

  const status = connection?.status as string | undefined;
  const reason = connection?.health?.reason ?? connection?.lastError ?? undefined;
  const warnings = connection?.health?.warnings ?? [];
  let state = 'Not connected';
  if (status === 'active') state = 'Connected';
  else if (status === 'needs_reauth') state = 'Needs reconnecting';
  else if (status === 'needs_admin_consent') state = 'Waiting for your admin';

  return (
    <li class={`card${props.highlight ? ' highlight' : ''}`} aria-labelledby={`card-${provider}`}>
      <div class="card-head">
        <h2 id={`card-${provider}`} class="wordmark">
          {name}
        </h2>
        <span class={`chip ${status ?? 'none'}`}>{state}</span>
      </div>
      {!connection && <p>{ALLOWS}</p>}
      {connection && (
        <dl class="facts">
          <dt>Account</dt>
          <dd>
            {connection.accountEmail ? `Connected as ${connection.accountEmail}` : connection.accountId}
          </dd>
          <dt>Since</dt>
          <dd>{when(connection.connectedAt)}</dd>
          <dt>Last refreshed</dt>
          <dd>{when(connection.lastRefreshedAt)}</dd>
        </dl>
      )}
      {status === 'needs_reauth' && (
        <Notice kind="error">
          {(reason && HEALTH_REASONS[reason]) || 'Access expired or was revoked'}. Reconnect to keep
          importing.
        </Notice>
      )}
      {status === 'needs_admin_consent' && (
        <Notice kind="info">
          Your organisation’s admin must approve this app. Send them the name “Brand Cloud” and ask them to
          grant it read access to files.
        </Notice>
      )}
      {warnings.map((w) => (
        <Notice kind="info" key={w.code}>
          {w.message}
        </Notice>
      ))}
      <ProblemNotice error={error} />
      {result && <Notice kind="ok">{result}</Notice>}
      <div class="actions">
        {!connection && (
          <Button kind="primary" busy={busy === 'connect'} onClick={connect} label={`Connect ${name}`}>
            Connect
          </Button>
        )}
        {status === 'needs_reauth' && (
          <Button kind="primary" busy={busy === 'connect'} onClick={connect} label={`Reconnect ${name}`}>
            Reconnect
          </Button>
        )}
        {status === 'active' && (
          <Link class="btn primary" href={`/files?provider=${provider}`}>
            Browse files<span class="sr-only"> in {name}</span>
          </Link>
        )}
        {connection && (
          <Button
            kind="danger"
            busy={busy === 'disconnect'}
            onClick={() => setConfirming(true)}
            label={`Disconnect ${name}`}
          >
            Disconnect
          </Button>
        )}
      </div>
      <ConfirmDialog
        open={confirming}
        title={`Disconnect ${name}?`}
        confirmLabel="Disconnect"
        onConfirm={disconnect}
        onClose={() => setConfirming(false)}
      >
        <p>
          Brand Cloud will stop reading your {name} files and revoke its access. Documents you already
          imported stay.
        </p>
      </ConfirmDialog>
    </li>
  );
}

export function Settings(props: { session: Session }) {
  const heading = usePageTitle('Cloud storage');
  const { session } = props;
  const [connections, setConnections] = useState<WithHealth[]>();
  const [error, setError] = useState<unknown>();
  const [returned, setReturned] = useState<{ provider: Provider; ok: boolean; message: string }>();
  const [confirmingTicket, setConfirmingTicket] = useState(false);

  const load = async () => {
    try {
      const data = await session.call(session.api.GET('/cloud-storage/connections'));
      setConnections(data.connections as WithHealth[]);
      setError(undefined);
    } catch (err) {
      setError(err);
    }
  };

  useEffect(() => {
    // The OAuth return: take the ticket out of the address bar first, then confirm it.
    const params = new URL(location.href).searchParams;
    const outcome = params.get('cloud_connect');
    const provider = params.get('provider') as Provider | null;
    if (outcome && provider && PROVIDERS.includes(provider)) {
      history.replaceState(null, '', '/dashboard');
      const name = PROVIDER_NAMES[provider];
      if (outcome === 'confirm') {
        const ticket = params.get('ticket') ?? '';
        setConfirmingTicket(true);
        session
          .call(
            session.api.POST('/cloud-storage/connections/{provider}/confirm', {
              params: { path: { provider } },
              body: { ticket },
            }),
            { 'not-found': 'This connection link expired or was already used. Connect again.' },
          )
          .then(
            (c) =>
              setReturned({
                provider,
                ok: true,
                message: `${name} is connected${c.accountEmail ? ` as ${c.accountEmail}` : ''}.`,
              }),
            (err) => setReturned({ provider, ok: false, message: (err as Error).message }),
          )
          .finally(() => {
            setConfirmingTicket(false);
            void load();
          });
        return;
      }
      const reason = params.get('reason') ?? '';
      setReturned({
        provider,
        ok: false,
        message: `${name} was not connected: ${CONNECT_ERRORS[reason] ?? 'the provider did not complete the sign-in.'}`,
      });
    }
    void load();
  }, []);

  const byProvider = new Map((connections ?? []).map((c) => [c.provider, c]));
  return (
    <main id="main">
      <h1 tabIndex={-1} ref={heading}>
        Cloud storage
      </h1>
      <p class="lead">Connect the storage where your brand material lives, then import it as brand voice.</p>
      {confirmingTicket && <Notice kind="info">Finishing the connection…</Notice>}
      {returned && (
        <div class="return" id="connect-result">
          <Notice kind={returned.ok ? 'ok' : 'error'}>{returned.message}</Notice>
          {!returned.ok && (
            <Button
              kind="primary"
              onClick={() => void startConnect(session, returned.provider).catch(setError)}
            >
              Try again
            </Button>
          )}
        </div>
      )}
      <ProblemNotice error={error} />
      {!connections && !error && <p aria-busy="true">Loading connections…</p>}
      {connections && (
        <ul class="cards">
          {PROVIDERS.map((provider) => (
            <ProviderCard
              key={provider}
              session={session}
              provider={provider}
              connection={byProvider.get(provider)}
              onChanged={load}
              highlight={returned?.provider === provider}
            />
          ))}
        </ul>
      )}
    </main>
  );
}
