// Small shared pieces: states (loading, empty, error, success), labelled fields, progress.
import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { ApiError } from './lib/api';

export function Loading({ what }: { what: string }) {
  return (
    <p class="state state-loading" role="status">
      <span class="spinner" aria-hidden="true" /> Loading {what}…
    </p>
  );
}

export function Empty({ children }: { children: ComponentChildren }) {
  return <p class="state state-empty">{children}</p>;
}

export function Success({ children }: { children: ComponentChildren }) {
  return (
    <p class="state state-success" role="status">
      {children}
    </p>
  );
}

export function ErrorBox({ error }: { error: unknown }) {
  if (!error) return null;
  const e = error instanceof ApiError ? error : null;
  const message = e ? e.message : error instanceof Error ? error.message : String(error);
  return (
    <div class="state state-error" role="alert">
      <p class="error-message">{message}</p>
      {e?.requestId ? <p class="request-id">Request ID: {e.requestId}</p> : null}
    </div>
  );
}

let fieldSeq = 0;
export function useId(prefix: string): string {
  const [id] = useState(() => `${prefix}-${++fieldSeq}`);
  return id;
}

export function Field(props: {
  label: string;
  value: string;
  onInput: (v: string) => void;
  error?: string;
  type?: string;
  help?: string;
  placeholder?: string;
  optional?: boolean;
  autoComplete?: string;
  required?: boolean;
}) {
  const id = useId('f');
  const helpId = `${id}-help`;
  const errId = `${id}-err`;
  const describedBy = [props.help ? helpId : '', props.error ? errId : ''].filter(Boolean).join(' ') || undefined;
  return (
    <div class={props.error ? 'field field-invalid' : 'field'}>
      <label for={id}>
        {props.label}
        {props.optional ? <span class="optional"> (optional)</span> : null}
      </label>
      <input
        id={id}
        type={props.type ?? 'text'}
        value={props.value}
        placeholder={props.placeholder}
        autoComplete={props.autoComplete ?? 'off'}
        spellcheck={false}
        aria-invalid={props.error ? 'true' : undefined}
        aria-describedby={describedBy}
        aria-required={props.required ? 'true' : undefined}
        onInput={(e) => props.onInput((e.target as HTMLInputElement).value)}
      />
      {props.help ? (
        <p class="help" id={helpId}>
          {props.help}
        </p>
      ) : null}
      <p class="field-error" id={errId} aria-live="polite">
        {props.error ? `${props.label}: ${props.error}` : ''}
      </p>
    </div>
  );
}

export function ProgressBar({ label, done, total, step }: { label: string; done: number; total: number; step?: string }) {
  const pct = total > 0 ? Math.min(100, Math.round((done / total) * 100)) : 0;
  return (
    <div class="progress">
      <progress aria-label={label} max={total > 0 ? total : undefined} value={total > 0 ? done : undefined} />
      <span class="progress-text" role="status">
        {step ? `${step}: ` : ''}
        {total > 0 ? `${done.toLocaleString()} of ${total.toLocaleString()} (${pct}%)` : 'starting…'}
      </span>
    </div>
  );
}

export function CopyButton({ text, label }: { text: string; label: string }) {
  const [copied, setCopied] = useState(false);
  return (
    <button
      type="button"
      class="copy"
      aria-label={label}
      onClick={async () => {
        try {
          await navigator.clipboard.writeText(text);
        } catch {
          // Clipboard blocked (insecure context or permission): select the text for a manual copy.
        }
        setCopied(true);
        setTimeout(() => setCopied(false), 1500);
      }}
    >
      {copied ? 'Copied' : 'Copy'}
    </button>
  );
}

export function Confirm(props: { title: string; message: string; confirm: string; onConfirm: () => void; onCancel: () => void }) {
  const id = useId('confirm');
  return (
    <div class="confirm" role="alertdialog" aria-modal="false" aria-labelledby={`${id}-t`} aria-describedby={`${id}-m`}>
      <h3 id={`${id}-t`}>{props.title}</h3>
      <p id={`${id}-m`}>{props.message}</p>
      <div class="actions">
        <button type="button" class="danger" onClick={props.onConfirm}>
          {props.confirm}
        </button>
        <button type="button" onClick={props.onCancel} ref={(el) => el?.focus()}>
          Cancel
        </button>
      </div>
    </div>
  );
}

export function formatTime(t: string | null | undefined): string {
  if (!t) return '—';
  const d = new Date(t);
  return isNaN(d.getTime()) ? t : d.toLocaleString();
}
