import type { ComponentChildren } from 'preact';
import type { Tone } from '../shoot';

export function ProgressBar(props: { value: number; tone: Tone }) {
  const v = Math.max(0, Math.min(100, props.value));
  return (
    <div class={`progress progress-${props.tone}`} role="progressbar" aria-valuenow={v} aria-valuemin={0} aria-valuemax={100}>
      <div class="progress-fill" style={{ width: `${v}%` }} />
    </div>
  );
}

export function Badge(props: { tone: Tone; title?: string; children: ComponentChildren; testid?: string }) {
  return (
    <span class={`badge badge-${props.tone}`} title={props.title} data-testid={props.testid}>
      {props.children}
    </span>
  );
}

export function Spinner(props: { label?: string }) {
  return (
    <div class="loading" role="status">
      <span class="spinner" aria-hidden="true" />
      {props.label || 'Loading…'}
    </div>
  );
}

export function ErrorBox(props: { message: string; testid?: string }) {
  if (!props.message) return null;
  return (
    <div class="alert alert-error" role="alert" data-testid={props.testid}>
      {props.message}
    </div>
  );
}

export function FieldError(props: { message?: string; testid?: string }) {
  if (!props.message) return null;
  return (
    <div class="field-error" data-testid={props.testid}>
      {props.message}
    </div>
  );
}

export function Card(props: { title?: ComponentChildren; children: ComponentChildren; class?: string; testid?: string; actions?: ComponentChildren }) {
  return (
    <section class={`card ${props.class || ''}`} data-testid={props.testid}>
      {(props.title || props.actions) && (
        <header class="card-header">
          {props.title && <h2>{props.title}</h2>}
          {props.actions && <div class="card-actions">{props.actions}</div>}
        </header>
      )}
      {props.children}
    </section>
  );
}
