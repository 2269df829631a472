import { useState } from 'preact/hooks';
import { ApiProblem } from '../api/problems.ts';
import type { Session } from '../session.ts';
import { Button, Field, Link, Notice, navigate, ProblemNotice, usePageTitle } from '../ui.tsx';

/**
 * A form's submit: busy while the action runs, its error (and the fields the API named) afterwards. `onError`
 * sees an error first and returns true when it dealt with it (e.g. by going to another page).
 */
function useSubmit(action: () => Promise<void>, onError?: (err: unknown) => boolean) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      await action();
    } catch (err) {
      if (!onError?.(err)) setError(err);
    } finally {
      setBusy(false);
    }
  };
  const fields: Record<string, string> = error instanceof ApiProblem ? error.fields : {};
  return { busy, error, fields, submit };
}

function EmailField(props: { value: string; onInput: (v: string) => void; error: string | undefined }) {
  return (
    <Field
      id="email"
      label="Email"
      type="email"
      autocomplete="username"
      value={props.value}
      onInput={props.onInput}
      error={props.error}
      required
    />
  );
}

/** The user pool's password rules, shown (and ticked off) before submitting. */
const PASSWORD_RULES: Array<[string, (p: string) => boolean]> = [
  ['At least 12 characters', (p) => p.length >= 12],
  ['A lowercase letter', (p) => /[a-z]/.test(p)],
  ['An uppercase letter', (p) => /[A-Z]/.test(p)],
  ['A digit', (p) => /[0-9]/.test(p)],
  ['A symbol such as ! ? # or -', (p) => /[\^$*.[\]{}()?"!@#%&/\\,><':;|_~`=+\- ]/.test(p)],
];

function PasswordRules(props: { password: string }) {
  return (
    <ul class="rules">
      {PASSWORD_RULES.map(([text, ok]) => {
        const met = ok(props.password);
        return (
          <li key={text} class={met ? 'met' : ''}>
            <span aria-hidden="true">{met ? '✓' : '•'}</span> {text}
            <span class="sr-only">{met ? ' (met)' : ' (not met yet)'}</span>
          </li>
        );
      })}
    </ul>
  );
}

export function SignIn(props: { session: Session }) {
  const heading = usePageTitle('Sign in');
  const params = new URL(location.href).searchParams;
  const [email, setEmail] = useState(params.get('email') ?? '');
  const [password, setPassword] = useState('');
  const { busy, error, fields, submit } = useSubmit(
    async () => {
      await props.session.signIn(email.trim(), password);
      navigate('/dashboard', true);
    },
    (err) => {
      if (!(err instanceof ApiProblem && err.slug === 'user-not-confirmed')) return false;
      navigate(`/confirm?email=${encodeURIComponent(email.trim())}`);
      return true;
    },
  );
  return (
    <main id="main" class="narrow">
      <h1 tabIndex={-1} ref={heading}>
        Sign in
      </h1>
      {props.session.endedBecause && <Notice kind="info">{props.session.endedBecause}</Notice>}
      <form onSubmit={submit} noValidate>
        <EmailField value={email} onInput={setEmail} error={fields.email} />
        <Field
          id="password"
          label="Password"
          type="password"
          autocomplete="current-password"
          value={password}
          onInput={setPassword}
          error={fields.password}
          required
        />
        <ProblemNotice error={error} />
        <Button type="submit" kind="primary" busy={busy}>
          Sign in
        </Button>
      </form>
      <p>
        New here? <Link href="/signup">Create an account</Link>
      </p>
    </main>
  );
}

export function SignUp(props: { session: Session }) {
  const heading = usePageTitle('Create an account');
  const [name, setName] = useState('');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [organizationName, setOrganization] = useState('');
  const { busy, error, fields, submit } = useSubmit(async () => {
    const s = props.session;
    const created = await s.call(
      s.api.POST('/auth/register', {
        body: {
          email: email.trim(),
          password,
          name: name.trim(),
          ...(organizationName.trim() ? { organizationName: organizationName.trim() } : {}),
        },
      }),
    );
    if (created.confirmationRequired) {
      navigate(`/confirm?email=${encodeURIComponent(email.trim())}`);
      return;
    }
    await s.signIn(email.trim(), password);
    navigate('/dashboard', true);
  });
  return (
    <main id="main" class="narrow">
      <h1 tabIndex={-1} ref={heading}>
        Create an account
      </h1>
      <form onSubmit={submit} noValidate>
        <Field
          id="name"
          label="Your name"
          autocomplete="name"
          value={name}
          onInput={setName}
          error={fields.name}
          required
        />
        <EmailField value={email} onInput={setEmail} error={fields.email} />
        <Field
          id="password"
          label="Password"
          type="password"
          autocomplete="new-password"
          value={password}
          onInput={setPassword}
          error={fields.password}
          hint={<PasswordRules password={password} />}
          required
        />
        <Field
          id="organizationName"
          label="Organisation (optional)"
          autocomplete="organization"
          value={organizationName}
          onInput={setOrganization}
          error={fields.organizationName}
        />
        <ProblemNotice error={error} />
        <Button type="submit" kind="primary" busy={busy}>
          Create account
        </Button>
      </form>
      <p>
        Have an account? <Link href="/signin">Sign in</Link>
      </p>
    </main>
  );
}

export function Confirm(props: { session: Session }) {
  const heading = usePageTitle('Confirm your email');
  const params = new URL(location.href).searchParams;
  const [email, setEmail] = useState(params.get('email') ?? '');
  const [code, setCode] = useState('');
  const { busy, error, fields, submit } = useSubmit(async () => {
    const s = props.session;
    await s.call(s.api.POST('/auth/confirm', { body: { email: email.trim(), code: code.trim() } }));
    navigate(`/signin?email=${encodeURIComponent(email.trim())}&confirmed=1`);
  });
  return (
    <main id="main" class="narrow">
      <h1 tabIndex={-1} ref={heading}>
        Confirm your email
      </h1>
      <p>We sent a code to your email address. Enter it here to finish creating your account.</p>
      <form onSubmit={submit} noValidate>
        <EmailField value={email} onInput={setEmail} error={fields.email} />
        <Field
          id="code"
          label="Confirmation code"
          inputmode="numeric"
          autocomplete="one-time-code"
          value={code}
          onInput={setCode}
          error={fields.code}
          required
        />
        <ProblemNotice error={error} />
        <Button type="submit" kind="primary" busy={busy}>
          Confirm
        </Button>
      </form>
    </main>
  );
}
