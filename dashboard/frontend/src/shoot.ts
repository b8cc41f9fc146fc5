// Pure helpers over Shoot objects: what the list and the details page show. No DOM, no requests.
import type { Condition, Shoot } from './types';

export const CREATED_BY = 'gardener.cloud/created-by';
export const OPERATION = 'gardener.cloud/operation';
export const CONFIRM_DELETION = 'confirmation.gardener.cloud/deletion';
export const PURPOSES = ['evaluation', 'development', 'testing', 'production'];

export type Hibernation = 'Awake' | 'Hibernated' | 'Hibernating' | 'Waking up';

export function hibernationState(s: Shoot): Hibernation {
  const want = !!s.spec?.hibernation?.enabled;
  const is = !!s.status?.hibernated;
  if (want && is) return 'Hibernated';
  if (want) return 'Hibernating';
  if (is) return 'Waking up';
  return 'Awake';
}

export function progressOf(s: Shoot): number {
  const p = Number(s.status?.lastOperation?.progress ?? 0);
  return Number.isFinite(p) ? Math.max(0, Math.min(100, Math.round(p))) : 0;
}

/** "Create Succeeded", "Create Processing 40%", "Pending" when the garden has not started on it yet. */
export function statusText(s: Shoot): string {
  const op = s.status?.lastOperation;
  if (!op || (!op.type && !op.state)) return s.metadata.deletionTimestamp ? 'Delete Pending' : 'Pending';
  const base = `${op.type || 'Operation'} ${op.state || ''}`.trim();
  return op.state === 'Succeeded' ? base : `${base} ${progressOf(s)}%`;
}

export type Tone = 'ok' | 'warn' | 'err' | 'info' | 'muted';

export function stateTone(state: string | undefined): Tone {
  switch (state) {
    case 'Succeeded':
      return 'ok';
    case 'Error':
    case 'Failed':
    case 'Aborted':
      return 'err';
    case 'Processing':
    case 'Pending':
      return 'info';
    default:
      return 'muted';
  }
}

export function conditionTone(c: Condition): Tone {
  if (c.status === 'True') return 'ok';
  if (c.status === 'False') return 'err';
  return 'warn';
}

const SHORT: Record<string, string> = {
  APIServerAvailable: 'API',
  ControlPlaneHealthy: 'CP',
  ObservabilityComponentsHealthy: 'OC',
  EveryNodeReady: 'N',
  SystemComponentsHealthy: 'SC',
};

export function conditionShort(type: string): string {
  return SHORT[type] || type.replace(/[a-z]/g, '').slice(0, 3) || type.slice(0, 3);
}

export function hasIssues(s: Shoot): boolean {
  const st = s.status;
  if (!st) return false;
  const state = st.lastOperation?.state;
  if (state === 'Error' || state === 'Failed') return true;
  if ((st.lastErrors?.length ?? 0) > 0) return true;
  return (st.conditions || []).some((c) => c.status !== 'True');
}

export function seedOf(s: Shoot): string {
  return s.status?.seedName || s.spec?.seedName || '';
}

export function cloudProfileOf(s: Shoot): string {
  return s.spec?.cloudProfile?.name || s.spec?.cloudProfileName || '';
}

export function formatTime(ts: string | undefined): string {
  if (!ts) return '';
  const d = new Date(ts);
  if (Number.isNaN(d.getTime())) return ts;
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

export function age(ts: string | undefined, now = Date.now()): string {
  if (!ts) return '';
  const t = new Date(ts).getTime();
  if (Number.isNaN(t)) return '';
  const s = Math.max(0, Math.round((now - t) / 1000));
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)}m ago`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ago`;
  return `${Math.floor(s / 86400)}d ago`;
}

/** Plain-language hints for Gardener's error codes (status.lastErrors[].codes). */
export const ERROR_HINTS: Record<string, string> = {
  ERR_INFRA_UNAUTHENTICATED:
    'The credentials are wrong or expired: update the Secret that the credentials binding points to.',
  ERR_INFRA_UNAUTHORIZED:
    'The credentials are valid but lack permissions: grant the cloud account the rights the provider needs.',
  ERR_INFRA_QUOTA_EXCEEDED:
    'A quota of the cloud account is used up: raise the quota or free resources, then retry.',
  ERR_INFRA_RATE_LIMITS_EXCEEDED:
    'The cloud provider throttled the requests: the operation is retried; if it persists, reduce other load on the account.',
  ERR_INFRA_DEPENDENCIES:
    'Other resources in the cloud account block the operation (for example something still uses the network): remove them, then retry.',
  ERR_RETRYABLE_INFRA_DEPENDENCIES:
    'A cloud resource the cluster depends on is not ready yet: this usually resolves itself; the garden retries.',
  ERR_INFRA_RESOURCES_DEPLETED:
    'The cloud provider has no capacity for the requested machines in this zone: try another machine type or zone.',
  ERR_CLEANUP_CLUSTER_RESOURCES:
    'Resources inside the cluster (for example volumes or load balancers, or their finalizers) could not be cleaned up: remove them by hand.',
  ERR_CONFIGURATION_PROBLEM:
    'The shoot specification or its environment is misconfigured: fix the configuration; retrying alone will not help.',
  ERR_RETRYABLE_CONFIGURATION_PROBLEM:
    'A configuration problem that may go away (for example a component still starting): the garden retries; fix it if it persists.',
  ERR_PROBLEMATIC_WEBHOOK:
    'A webhook in the cluster blocks the garden from managing it: fix or remove the webhook (check its failurePolicy and selectors).',
};

export function hintFor(code: string): string {
  return ERROR_HINTS[code] || 'No hint for this code: see the error description.';
}

// ---- Kubernetes versions ----------------------------------------------------------------------------------

export function compareVersions(a: string, b: string): number {
  const pa = a.split(/[.+-]/).map((x) => parseInt(x, 10));
  const pb = b.split(/[.+-]/).map((x) => parseInt(x, 10));
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = Number.isNaN(pa[i]) ? 0 : pa[i] ?? 0;
    const y = Number.isNaN(pb[i]) ? 0 : pb[i] ?? 0;
    if (x !== y) return x - y;
  }
  return 0;
}

export function isExpired(expirationDate: string | undefined, now = Date.now()): boolean {
  if (!expirationDate) return false;
  const t = new Date(expirationDate).getTime();
  return !Number.isNaN(t) && t <= now;
}
