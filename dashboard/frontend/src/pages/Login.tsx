import { useState } from 'preact/hooks';
import { ApiError, post } from '../api';
import type { Session } from '../types';

function sentence(msg: string): string {
  return msg ? msg.charAt(0).toUpperCase() + msg.slice(1) : msg;
}

export function Login(props: { notice: string; onLogin: (s: Session) => void }) {
  const [token, setToken] = useState('');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);

  async function submit(e: Event) {
    e.preventDefault();
    const t = token.trim();
    if (!t) {
      setError('Paste a bearer token of the garden first.');
      return;
    }
    setBusy(true);
    setError('');
    try {
      const s = await post<Session>('/api/login', { token: t }, { expect401: true });
      setToken('');
      props.onLogin(s);
    } catch (err) {
      const e2 = err as ApiError;
      if (e2.status === 401) setError(sentence(e2.message || 'The garden does not accept this token'));
      else setError(sentence(e2.message || String(err)));
    } finally {
      setBusy(false);
    }
  }

  return (
    <div class="login-page">
      <form class="card login-card" onSubmit={submit} data-testid="login-form">
        <div class="login-brand">
          <Logo />
          <div>
            <h1>Garden dashboard</h1>
            <p class="muted">Self-service for your Kubernetes clusters</p>
          </div>
        </div>
        {props.notice && (
          <div class="alert alert-info" data-testid="login-notice" role="status">
            {props.notice}
          </div>
        )}
        <label for="login-token">Bearer token</label>
        <textarea
          id="login-token"
          data-testid="login-token"
          rows={5}
          spellcheck={false}
          autocomplete="off"
          placeholder="A token the garden accepts: a static token of its token file, or a service account token (eyJhbGciOi…)"
          value={token}
          onInput={(e) => setToken((e.target as HTMLTextAreaElement).value)}
        />
        <p class="hint">
          The dashboard keeps the token only in an encrypted, HttpOnly session cookie and sends it to the garden, whose
          RBAC decides what you may see and do.
        </p>
        {error && (
          <div class="alert alert-error" data-testid="login-error" role="alert">
            {error}
          </div>
        )}
        <button class="btn btn-primary btn-block" type="submit" data-testid="login-submit" disabled={busy}>
          {busy ? 'Checking…' : 'Log in'}
        </button>
      </form>
    </div>
  );
}

export function Logo() {
  return (
    <svg class="logo" viewBox="0 0 32 32" width="32" height="32" aria-hidden="true">
      <circle cx="16" cy="16" r="15" fill="#0b8a5f" />
      <path d="M16 6c-5 4-7 8-7 12a7 7 0 0 0 14 0c0-4-2-8-7-12z" fill="#fff" opacity="0.92" />
      <path d="M16 11v15" stroke="#0b8a5f" stroke-width="1.8" stroke-linecap="round" />
      <path d="M16 17l-3.5-3M16 21l4-3.5" stroke="#0b8a5f" stroke-width="1.6" stroke-linecap="round" />
    </svg>
  );
}
