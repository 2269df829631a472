import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiProblem } from './api/problems.ts';

// ---- Routing: a few fixed paths; parameters live in the query string ------------------------------------

let routeListeners: Array<() => void> = [];
window.addEventListener('popstate', () => {
  for (const l of routeListeners) l();
});

export function navigate(href: string, replace = false) {
  if (replace) history.replaceState(null, '', href);
  else history.pushState(null, '', href);
  for (const l of routeListeners) l();
  window.scrollTo(0, 0);
}

export function useLocation(): URL {
  const [, setTick] = useState(0);
  useEffect(() => {
    const l = () => setTick((t) => t + 1);
    routeListeners.push(l);
    return () => {
      routeListeners = routeListeners.filter((x) => x !== l);
    };
  }, []);
  return new URL(location.href);
}

export function Link(props: {
  href: string;
  children: ComponentChildren;
  class?: string;
  current?: boolean;
}) {
  return (
    <a
      href={props.href}
      class={props.class}
      aria-current={props.current ? 'page' : undefined}
      onClick={(e) => {
        if (e.metaKey || e.ctrlKey || e.shiftKey || e.button !== 0) return;
        e.preventDefault();
        navigate(props.href);
      }}
    >
      {props.children}
    </a>
  );
}

// ---- Messages -------------------------------------------------------------------------------------------

export const messageOf = (error: unknown): string =>
  error instanceof ApiProblem ? error.message : 'Something went wrong. Try again.';

/** An error or result line; `role=alert` for errors so screen readers announce it at once. */
export function Notice(props: { kind: 'error' | 'ok' | 'info'; children: ComponentChildren; id?: string }) {
  if (props.kind === 'error') {
    return (
      <p class="notice error" role="alert" id={props.id}>
        {props.children}
      </p>
    );
  }
  return (
    <p class={`notice ${props.kind}`} role="status" id={props.id}>
      {props.children}
    </p>
  );
}

export function ProblemNotice(props: { error: unknown }) {
  if (!props.error) return null;
  const requestId = props.error instanceof ApiProblem ? props.error.requestId : undefined;
  return (
    <Notice kind="error">
      {messageOf(props.error)}
      {requestId && <span class="muted"> (request {requestId})</span>}
    </Notice>
  );
}

// ---- Form fields ----------------------------------------------------------------------------------------

export function Field(props: {
  id: string;
  label: string;
  type?: 'text' | 'email' | 'password';
  value: string;
  onInput: (value: string) => void;
  error?: string | undefined;
  hint?: ComponentChildren;
  autocomplete?: string;
  required?: boolean;
  inputmode?: 'numeric' | 'email' | 'text';
}) {
  const describedBy = [props.hint ? `${props.id}-hint` : '', props.error ? `${props.id}-error` : '']
    .filter(Boolean)
    .join(' ');
  return (
    <div class="field">
      <label for={props.id}>{props.label}</label>
      {props.hint && (
        <div class="hint" id={`${props.id}-hint`}>
          {props.hint}
        </div>
      )}
      <input
        id={props.id}
        name={props.id}
        type={(props.type ?? 'text') as 'text'}
        value={props.value}
        required={props.required}
        autocomplete={props.autocomplete}
        inputMode={props.inputmode}
        aria-invalid={props.error ? 'true' : undefined}
        aria-describedby={describedBy || undefined}
        onInput={(e) => props.onInput((e.target as HTMLInputElement).value)}
      />
      {props.error && (
        <p class="field-error" id={`${props.id}-error`}>
          {props.error}
        </p>
      )}
    </div>
  );
}

/** A button that shows progress at once and cannot be pressed twice. */
export function Button(props: {
  onClick?: () => void;
  busy?: boolean;
  kind?: 'primary' | 'secondary' | 'danger';
  type?: 'button' | 'submit';
  children: ComponentChildren;
  label?: string;
  disabled?: boolean;
}) {
  return (
    <button
      type={props.type ?? 'button'}
      class={`btn ${props.kind ?? 'secondary'}`}
      onClick={props.onClick}
      disabled={props.busy || props.disabled}
      aria-busy={props.busy ? 'true' : undefined}
      aria-label={props.label}
    >
      {props.busy ? <span class="spinner" aria-hidden="true" /> : null}
      {props.children}
    </button>
  );
}

/** A modal dialog (native <dialog>: focus stays inside, Escape closes, focus returns to the opener). */
export function ConfirmDialog(props: {
  open: boolean;
  title: string;
  children: ComponentChildren;
  confirmLabel: string;
  onConfirm: () => void;
  onClose: () => void;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (props.open && !dialog.open) {
      const opener = document.activeElement as HTMLElement | null;
      dialog.showModal();
      const restore = () => opener?.focus();
      dialog.addEventListener('close', restore, { once: true });
    } else if (!props.open && dialog.open) dialog.close();
  }, [props.open]);
  return (
    <dialog ref={ref} aria-labelledby="dialog-title" onClose={props.onClose} onCancel={props.onClose}>
      <h2 id="dialog-title">{props.title}</h2>
      <div>{props.children}</div>
      <div class="actions">
        <Button onClick={props.onClose}>Cancel</Button>
        <Button kind="danger" onClick={props.onConfirm}>
          {props.confirmLabel}
        </Button>
      </div>
    </dialog>
  );
}

export const PROVIDER_NAMES: Record<string, string> = {
  google_drive: 'Google Drive',
  onedrive: 'OneDrive',
  dropbox: 'Dropbox',
};
export const PROVIDERS = ['google_drive', 'onedrive', 'dropbox'] as const;
export type Provider = (typeof PROVIDERS)[number];

export const when = (iso: string | null | undefined): string =>
  iso ? new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' }) : '—';

export function bytes(n: number | null | undefined): string {
  if (n === null || n === undefined) return '—';
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

/** Sets the document title and moves focus to the page's heading after navigation (screen readers). */
export function usePageTitle(title: string) {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    document.title = `${title} · Brand Cloud`;
    ref.current?.focus();
  }, [title]);
  return ref;
}
