import { Fragment } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { ApiError, del, get, mergePatch, post, urls } from '../api';
import { Badge, Card, ErrorBox, ProgressBar, Spinner } from '../components/ui';
import { usePermissions } from '../permissions';
import { href, navigate } from '../router';
import {
  CONFIRM_DELETION,
  CREATED_BY,
  OPERATION,
  age,
  cloudProfileOf,
  conditionTone,
  formatTime,
  hibernationState,
  hintFor,
  progressOf,
  seedOf,
  stateTone,
  statusText,
} from '../shoot';
import type { KubeEvent, List, Shoot, ShootNode, ShootNodes } from '../types';

const SHOOT_POLL_MS = 4000;
const EVENTS_POLL_MS = 10000;

const LIFETIMES: [number, string][] = [
  [600, '10 minutes'],
  [3600, '1 hour'],
  [21600, '6 hours'],
  [86400, '24 hours'],
];

function eventTime(e: KubeEvent): string {
  return e.lastTimestamp || e.eventTime || e.firstTimestamp || e.metadata.creationTimestamp || '';
}

function decodeBase64(b64: string): Uint8Array {
  const bin = atob(b64.replace(/\s+/g, ''));
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

function saveFile(name: string, data: Uint8Array, type: string) {
  const blob = new Blob([data as BlobPart], { type });
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.rel = 'noopener';
  a.style.display = 'none';
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 30_000);
}

function DeleteDialog(props: { name: string; busy: boolean; error: string; onCancel: () => void; onConfirm: () => void }) {
  const [typed, setTyped] = useState('');
  const ok = typed === props.name;
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => e.key === 'Escape' && !props.busy && props.onCancel();
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [props.busy]);
  return (
    <div class="modal-backdrop">
      <div class="modal" role="dialog" aria-modal="true" aria-labelledby="delete-title" data-testid="delete-dialog">
        <h2 id="delete-title">Delete shoot {props.name}?</h2>
        <p>
          This deletes the cluster, its nodes and everything running in it. It cannot be undone. Type the shoot's name{' '}
          <code>{props.name}</code> to confirm.
        </p>
        <input
          data-testid="delete-confirm-input"
          aria-label="shoot name to confirm"
          autocomplete="off"
          spellcheck={false}
          value={typed}
          autoFocus
          onInput={(e) => setTyped((e.target as HTMLInputElement).value)}
          onKeyDown={(e) => e.key === 'Enter' && ok && !props.busy && props.onConfirm()}
        />
        <ErrorBox message={props.error} testid="delete-error" />
        <div class="modal-actions">
          <button class="btn" data-testid="delete-cancel" disabled={props.busy} onClick={props.onCancel}>
            Cancel
          </button>
          <button class="btn btn-danger" data-testid="delete-confirm" disabled={!ok || props.busy} onClick={props.onConfirm}>
            {props.busy ? 'Deleting…' : 'Delete shoot'}
          </button>
        </div>
      </div>
    </div>
  );
}

function clockTime(d: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/**
 * The Nodes in the shoot's own API server, read through the backend (which requests a short-lived kubeconfig as the
 * user for each read). Read once when the page opens and again on the card's Refresh button, not polled: every
 * read issues a new kubeconfig. A workerless shoot has no nodes, so nothing is asked.
 */
function NodeList(props: { namespace: string; name: string; workerless: boolean; asleep: boolean }) {
  const { namespace, name, workerless, asleep } = props;
  const [nodes, setNodes] = useState<ShootNode[] | null>(null);
  const [access, setAccess] = useState('');
  const [error, setError] = useState('');
  const [loading, setLoading] = useState(false);
  const [readAt, setReadAt] = useState('');
  const [tick, setTick] = useState(0);

  useEffect(() => {
    if (workerless) return;
    const abort = new AbortController();
    let live = true;
    setLoading(true);
    get<ShootNodes>(urls.shootNodes(namespace, name), { signal: abort.signal })
      .then((res) => {
        if (!live) return;
        const items = (res?.items || []).slice();
        items.sort((a, b) => (a.name || '').localeCompare(b.name || ''));
        setNodes(items);
        setAccess(res?.access || '');
        setError('');
        setReadAt(clockTime(new Date()));
      })
      .catch((e) => {
        const err = e as ApiError;
        if (!live || err.name === 'AbortError' || err.status === 401) return;
        setNodes(null);
        setAccess('');
        setReadAt('');
        setError(err.message || `the nodes could not be read (HTTP ${err.status})`);
      })
      .finally(() => live && setLoading(false));
    return () => {
      live = false;
      abort.abort();
    };
  }, [namespace, name, workerless, tick]);

  const refreshButton = workerless ? undefined : (
    <button class="btn btn-small" data-testid="refresh-nodes" disabled={loading} onClick={() => setTick((t) => t + 1)}>
      {loading ? 'Reading…' : 'Refresh'}
    </button>
  );
  const ready = (nodes || []).filter((n) => n.ready).length;

  return (
    <Card
      title={
        <>
          Nodes{' '}
          {nodes && nodes.length > 0 && (
            <Badge tone={ready === nodes.length ? 'ok' : 'warn'} testid="node-count">
              {ready}/{nodes.length} ready
            </Badge>
          )}
        </>
      }
      actions={refreshButton}
      testid="node-list"
      class="span-2"
    >
      {workerless ? (
        <p class="muted" data-testid="nodes-empty">
          No nodes: a workerless shoot (no worker pools, control plane only).
        </p>
      ) : (
        <>
          {asleep && (
            <p class="muted" data-testid="nodes-hibernated">
              The shoot is hibernated: it has no nodes and its API server is stopped until it wakes up.
            </p>
          )}
          <ErrorBox message={error} testid="node-error" />
          {nodes === null ? (
            !error && <Spinner label="Reading the nodes from the shoot's API server…" />
          ) : nodes.length === 0 ? (
            <p class="muted" data-testid="nodes-empty">
              No nodes (yet): no machine has joined the cluster.
            </p>
          ) : (
            <table class="table compact">
              <thead>
                <tr>
                  <th>Name</th>
                  <th>Status</th>
                  <th>Kubelet</th>
                  <th>Internal IP</th>
                  <th>Provider ID</th>
                  <th>Age</th>
                </tr>
              </thead>
              <tbody>
                {nodes.map((n) => (
                  <tr key={n.name} data-testid={`node-row-${n.name}`}>
                    <td class="wrap-text">{n.name}</td>
                    <td>
                      <Badge tone={n.ready ? 'ok' : 'err'} testid={`node-ready-${n.name}`}>
                        {n.ready ? 'Ready' : 'NotReady'}
                      </Badge>
                    </td>
                    <td class="nowrap">{n.kubeletVersion || '—'}</td>
                    <td class="nowrap">{n.internalIP || '—'}</td>
                    <td class="wrap-text">{n.providerID ? <code>{n.providerID}</code> : '—'}</td>
                    <td class="nowrap" title={formatTime(n.createdAt || undefined)}>
                      {age(n.createdAt || undefined) || '—'}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          {readAt && (
            <p class="muted small" data-testid="nodes-read-at">
              read at {readAt}
              {access ? ` with ${access} access` : ''}
            </p>
          )}
        </>
      )}
    </Card>
  );
}

export function ShootDetails(props: { project: string; namespace: string; name: string; garden: string }) {
  const { project, namespace, name, garden } = props;
  const perms = usePermissions(project, namespace);
  const [shoot, setShoot] = useState<Shoot | null>(null);
  const [loadError, setLoadError] = useState<{ status: number; message: string } | null>(null);
  const [events, setEvents] = useState<KubeEvent[] | null>(null);
  const [eventsError, setEventsError] = useState('');
  const [actionMsg, setActionMsg] = useState<{ ok: boolean; text: string } | null>(null);
  const [acting, setActing] = useState(false);
  const [access, setAccess] = useState<'admin' | 'viewer' | ''>('');
  const [lifetime, setLifetime] = useState(3600);
  const [kcMsg, setKcMsg] = useState<{ ok: boolean; text: string } | null>(null);
  const [kcBusy, setKcBusy] = useState(false);
  const [deleting, setDeleting] = useState(false);
  const [deleteBusy, setDeleteBusy] = useState(false);
  const [deleteError, setDeleteError] = useState('');
  const [copied, setCopied] = useState(false);
  const [tick, setTick] = useState(0);

  const refresh = () => setTick((t) => t + 1);

  useEffect(() => {
    let live = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const load = async () => {
      try {
        const s = await get<Shoot>(urls.shoot(namespace, name));
        if (!live) return;
        setShoot(s);
        setLoadError(null);
      } catch (e) {
        const err = e as ApiError;
        if (!live || err.status === 401) return;
        setLoadError({ status: err.status, message: err.message });
        if (err.status === 404) setShoot(null);
      }
      if (live) timer = setTimeout(load, SHOOT_POLL_MS);
    };
    load();
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [namespace, name, tick]);

  useEffect(() => {
    let live = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const load = async () => {
      try {
        const l = await get<List<KubeEvent>>(urls.events(namespace, name));
        if (!live) return;
        const items = (l?.items || []).slice();
        items.sort((a, b) => eventTime(b).localeCompare(eventTime(a)));
        setEvents(items);
        setEventsError('');
      } catch (e) {
        const err = e as ApiError;
        if (!live || err.status === 401) return;
        setEventsError(err.status === 403 ? 'You may not read the events of this project.' : err.message);
        setEvents([]);
      }
      if (live) timer = setTimeout(load, EVENTS_POLL_MS);
    };
    load();
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [namespace, name, tick]);

  // The kubeconfig access defaults to the strongest one the user may have.
  useEffect(() => {
    if (!perms.loaded) return;
    if (access === 'admin' && perms.adminKubeconfig) return;
    if (access === 'viewer' && perms.viewerKubeconfig) return;
    setAccess(perms.adminKubeconfig ? 'admin' : perms.viewerKubeconfig ? 'viewer' : '');
  }, [perms]);

  if (!shoot) {
    if (loadError) {
      return (
        <div class="page">
          <p>
            <a href={href.shoots(project)}>← Shoots</a>
          </p>
          <ErrorBox
            testid="details-error"
            message={loadError.status === 404 ? `The shoot "${name}" does not exist (any more).` : loadError.message}
          />
        </div>
      );
    }
    return <Spinner label="Loading shoot…" />;
  }

  const s = shoot;
  const op = s.status?.lastOperation;
  const tone = stateTone(op?.state);
  const hib = hibernationState(s);
  const hibernating = !!s.spec?.hibernation?.enabled;
  const failed = op?.state === 'Failed' || op?.state === 'Error';
  const workers = s.spec?.provider?.workers || [];
  const conditions = s.status?.conditions || [];
  const lastErrors = s.status?.lastErrors || [];
  const annotations = Object.entries(s.metadata.annotations || {}).sort(([a], [b]) => a.localeCompare(b));
  // The garden's name comes from the session (the backend's --garden-name); without one, gardenctl's current garden.
  const gardenctl = `gardenctl target ${garden ? `--garden ${garden} ` : ''}--project ${project} --shoot ${name}`;
  const apiServer = (s.status?.advertisedAddresses || []).find((a) => a.name === 'external')?.url;
  const canPatch = perms.patchShoots;
  const canDelete = perms.deleteShoots && perms.patchShoots;

  async function act(label: string, body: unknown) {
    setActing(true);
    setActionMsg(null);
    try {
      const updated = await mergePatch<Shoot>(urls.shoot(namespace, name), body);
      if (updated?.metadata) setShoot(updated);
      setActionMsg({ ok: true, text: `${label} requested.` });
    } catch (e) {
      const err = e as ApiError;
      if (err.status !== 401) setActionMsg({ ok: false, text: `${label} failed: ${err.message}` });
    } finally {
      setActing(false);
    }
  }

  async function confirmDelete() {
    setDeleteBusy(true);
    setDeleteError('');
    try {
      await mergePatch(urls.shoot(namespace, name), { metadata: { annotations: { [CONFIRM_DELETION]: 'true' } } });
      await del(urls.shoot(namespace, name));
    } catch (e) {
      const err = e as ApiError;
      setDeleteBusy(false);
      if (err.status !== 401) setDeleteError(err.message);
      return;
    }
    setDeleteBusy(false);
    setDeleting(false);
    navigate(href.shoots(project));
  }

  async function downloadKubeconfig() {
    if (!access) return;
    setKcBusy(true);
    setKcMsg(null);
    try {
      const sub = access === 'admin' ? 'adminkubeconfig' : 'viewerkubeconfig';
      const kind = access === 'admin' ? 'AdminKubeconfigRequest' : 'ViewerKubeconfigRequest';
      const res = await post<{ status?: { kubeconfig?: string; expirationTimestamp?: string } }>(`${urls.shoot(namespace, name)}/${sub}`, {
        apiVersion: 'authentication.gardener.cloud/v1alpha1',
        kind,
        spec: { expirationSeconds: lifetime },
      });
      const b64 = res?.status?.kubeconfig;
      if (!b64) throw new Error('the garden returned no kubeconfig');
      saveFile(`${name}.kubeconfig`, decodeBase64(b64), 'application/yaml');
      const exp = res.status?.expirationTimestamp;
      setKcMsg({ ok: true, text: `Saved ${name}.kubeconfig (${access} access${exp ? `, valid until ${formatTime(exp)}` : ''}).` });
    } catch (e) {
      const err = e as ApiError;
      if (err.status !== 401) setKcMsg({ ok: false, text: `No kubeconfig: ${err.message}` });
    } finally {
      setKcBusy(false);
    }
  }

  async function copyCommand() {
    try {
      await navigator.clipboard.writeText(gardenctl);
      setCopied(true);
      setTimeout(() => setCopied(false), 1500);
    } catch {
      /* clipboard not available (plain http): the command is selectable */
    }
  }

  return (
    <div class="page" data-testid="shoot-details" data-perms={perms.loaded ? 'loaded' : 'loading'}>
      <p class="crumbs">
        <a href={href.shoots(project)} data-testid="back-to-list">
          ← Shoots of {project}
        </a>
      </p>
      <div class="page-header">
        <div>
          <h1 data-testid="shoot-title">
            {name}{' '}
            <Badge tone={hib === 'Awake' ? 'ok' : hib === 'Hibernated' ? 'muted' : 'info'} testid="details-hibernation">
              {hib}
            </Badge>
            {s.metadata.deletionTimestamp && <Badge tone="err">deleting</Badge>}
          </h1>
          <p class="muted">
            {s.spec?.provider?.type || '?'} / {s.spec?.region || '?'} · Kubernetes {s.spec?.kubernetes?.version || '?'} ·{' '}
            {s.spec?.purpose || 'no purpose'}
          </p>
        </div>
        <div class="actions" data-testid="shoot-actions">
          {canPatch && !hibernating && (
            <button class="btn" data-testid="action-hibernate" disabled={acting} onClick={() => act('Hibernation', { spec: { hibernation: { enabled: true } } })}>
              Hibernate
            </button>
          )}
          {canPatch && hibernating && (
            <button class="btn" data-testid="action-wake" disabled={acting} onClick={() => act('Wake-up', { spec: { hibernation: { enabled: false } } })}>
              Wake up
            </button>
          )}
          {canPatch && (
            <button
              class="btn"
              data-testid="action-reconcile"
              disabled={acting}
              onClick={() => act('Reconciliation', { metadata: { annotations: { [OPERATION]: 'reconcile' } } })}
            >
              Reconcile
            </button>
          )}
          {canPatch && (
            <button
              class="btn"
              data-testid="action-retry"
              disabled={acting || !failed}
              title={failed ? 'Retry the failed operation' : 'Only a failed operation can be retried'}
              onClick={() => act('Retry', { metadata: { annotations: { [OPERATION]: 'retry' } } })}
            >
              Retry
            </button>
          )}
          {canDelete && (
            <button class="btn btn-danger" data-testid="action-delete" disabled={acting} onClick={() => (setDeleteError(''), setDeleting(true))}>
              Delete…
            </button>
          )}
        </div>
      </div>

      {actionMsg && (
        <div class={`alert ${actionMsg.ok ? 'alert-ok' : 'alert-error'}`} data-testid="action-result" role="status">
          {actionMsg.text}
        </div>
      )}
      {loadError && <ErrorBox message={`Could not refresh: ${loadError.message}`} />}

      <div class="details-grid">
        <Card title="Last operation" testid="last-operation">
          <div class={`status-text big tone-${tone}`} data-testid="details-status">
            {statusText(s)}
          </div>
          {op && <ProgressBar value={op.state === 'Succeeded' ? 100 : progressOf(s)} tone={tone} />}
          {op?.description && (
            <p class="op-description" data-testid="last-operation-description">
              {op.description}
            </p>
          )}
          {op?.lastUpdateTime && <p class="muted small">updated {formatTime(op.lastUpdateTime)} ({age(op.lastUpdateTime)})</p>}
          {lastErrors.length > 0 && (
            <div class="last-errors" data-testid="last-errors">
              <h3>Errors</h3>
              {lastErrors.map((le, i) => (
                <div class="last-error" key={i}>
                  <p class="error-description">{le.description || 'no description'}</p>
                  {le.taskID && <p class="muted small">task {le.taskID}</p>}
                  {(le.codes || []).map((c) => (
                    <div class="error-code" key={c} data-testid={`error-code-${c}`}>
                      <Badge tone="err">{c}</Badge>
                      <span>{hintFor(c)}</span>
                    </div>
                  ))}
                </div>
              ))}
            </div>
          )}
        </Card>

        <Card title="Overview" testid="overview">
          <dl class="kv">
            <dt>Project</dt>
            <dd>{project}</dd>
            <dt>Cloud profile</dt>
            <dd>{cloudProfileOf(s) || '—'}</dd>
            <dt>Credentials</dt>
            <dd>{s.spec?.credentialsBindingName || s.spec?.secretBindingName || '— (none)'}</dd>
            <dt>Seed</dt>
            <dd>{seedOf(s) || '— (not scheduled yet)'}</dd>
            <dt>Created by</dt>
            <dd>{s.metadata.annotations?.[CREATED_BY] || '—'}</dd>
            <dt>Created at</dt>
            <dd>{formatTime(s.metadata.creationTimestamp) || '—'}</dd>
            <dt>Maintenance</dt>
            <dd>
              {s.spec?.maintenance?.timeWindow
                ? `${s.spec.maintenance.timeWindow.begin} – ${s.spec.maintenance.timeWindow.end}`
                : '—'}
            </dd>
            <dt>Hibernation schedules</dt>
            <dd>
              {(s.spec?.hibernation?.schedules || []).length === 0
                ? 'none'
                : (s.spec?.hibernation?.schedules || []).map((h, i) => (
                    <div key={i}>
                      {h.start ? `sleep at "${h.start}"` : ''}
                      {h.start && h.end ? ', ' : ''}
                      {h.end ? `wake at "${h.end}"` : ''} ({h.location || 'UTC'})
                    </div>
                  ))}
            </dd>
            {apiServer && (
              <>
                <dt>API server</dt>
                <dd>
                  <code>{apiServer}</code>
                </dd>
              </>
            )}
            {s.status?.technicalID && (
              <>
                <dt>Technical ID</dt>
                <dd>
                  <code>{s.status.technicalID}</code>
                </dd>
              </>
            )}
          </dl>
        </Card>

        <Card title="Access" testid="access">
          <label>Target it with gardenctl</label>
          <div class="command">
            <code data-testid="gardenctl-command">{gardenctl}</code>
            <button class="btn btn-small" data-testid="copy-gardenctl" onClick={copyCommand}>
              {copied ? 'Copied' : 'Copy'}
            </button>
          </div>
          <label>Kubeconfig</label>
          {perms.loaded && !perms.adminKubeconfig && !perms.viewerKubeconfig ? (
            <p class="muted">You may not request kubeconfigs for this shoot.</p>
          ) : (
            <div class="row wrap">
              <select
                aria-label="access"
                data-testid="kubeconfig-access"
                value={access}
                onChange={(e) => setAccess((e.target as HTMLSelectElement).value as 'admin' | 'viewer')}
              >
                {perms.adminKubeconfig && <option value="admin">admin (full access)</option>}
                {perms.viewerKubeconfig && <option value="viewer">viewer (read-only, no secrets)</option>}
              </select>
              <select
                aria-label="lifetime"
                data-testid="kubeconfig-lifetime"
                value={String(lifetime)}
                onChange={(e) => setLifetime(parseInt((e.target as HTMLSelectElement).value, 10))}
              >
                {LIFETIMES.map(([sec, label]) => (
                  <option key={sec} value={String(sec)}>
                    valid {label}
                  </option>
                ))}
              </select>
              <button class="btn btn-primary" data-testid="kubeconfig-download" disabled={!access || kcBusy} onClick={downloadKubeconfig}>
                {kcBusy ? 'Requesting…' : 'Download'}
              </button>
            </div>
          )}
          {kcMsg && (
            <div class={`alert ${kcMsg.ok ? 'alert-ok' : 'alert-error'}`} data-testid="kubeconfig-result">
              {kcMsg.text}
            </div>
          )}
        </Card>

        <Card title="Conditions" testid="conditions" class="span-2">
          {conditions.length === 0 ? (
            <p class="muted">No conditions reported yet.</p>
          ) : (
            <table class="table compact">
              <thead>
                <tr>
                  <th>Condition</th>
                  <th>Status</th>
                  <th>Reason</th>
                  <th>Message</th>
                  <th>Since</th>
                </tr>
              </thead>
              <tbody>
                {conditions.map((c) => (
                  <tr key={c.type} data-testid={`condition-${c.type}`}>
                    <td>{c.type}</td>
                    <td>
                      <Badge tone={conditionTone(c)}>{c.status}</Badge>
                    </td>
                    <td>{c.reason || ''}</td>
                    <td class="wrap-text">{c.message || ''}</td>
                    <td class="nowrap">{formatTime(c.lastTransitionTime)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </Card>

        <Card title="Worker pools" testid="worker-pools">
          {workers.length === 0 ? (
            <p class="muted">None: a workerless shoot (control plane only).</p>
          ) : (
            <table class="table compact">
              <thead>
                <tr>
                  <th>Pool</th>
                  <th>Machine</th>
                  <th>Image</th>
                  <th>Min–max</th>
                  <th>Zones</th>
                </tr>
              </thead>
              <tbody>
                {workers.map((w) => (
                  <tr key={w.name} data-testid={`worker-pool-${w.name}`}>
                    <td>{w.name}</td>
                    <td>{w.machine?.type || '—'}</td>
                    <td>
                      {w.machine?.image?.name || '—'} {w.machine?.image?.version || ''}
                    </td>
                    <td>
                      {w.minimum ?? '?'}–{w.maximum ?? '?'}
                    </td>
                    <td>{(w.zones || []).join(', ')}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </Card>

        <NodeList namespace={namespace} name={name} workerless={workers.length === 0} asleep={hib === 'Hibernated'} />

        <Card title="Annotations" testid="shoot-annotations">
          {annotations.length === 0 ? (
            <p class="muted">None.</p>
          ) : (
            <dl class="kv annotations">
              {annotations.map(([k, v]) => (
                <Fragment key={k}>
                  <dt>{k}</dt>
                  <dd class="wrap-text">{v}</dd>
                </Fragment>
              ))}
            </dl>
          )}
        </Card>

        <Card title="Operation history" testid="event-history" class="span-2">
          <ErrorBox message={eventsError} />
          {events === null ? (
            <Spinner label="Loading events…" />
          ) : events.length === 0 ? (
            <p class="muted">No events.</p>
          ) : (
            <table class="table compact">
              <thead>
                <tr>
                  <th>When</th>
                  <th>Type</th>
                  <th>Reason</th>
                  <th>Message</th>
                </tr>
              </thead>
              <tbody>
                {events.map((e, i) => (
                  <tr key={e.metadata?.uid || e.metadata?.name || i} class={e.type === 'Warning' ? 'warning' : undefined}>
                    <td class="nowrap">
                      {formatTime(eventTime(e))}
                      {e.count && e.count > 1 ? <span class="muted"> ×{e.count}</span> : null}
                    </td>
                    <td>{e.type || ''}</td>
                    <td>{e.reason || ''}</td>
                    <td class="wrap-text">{e.message || ''}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          <button class="btn btn-small" data-testid="refresh-details" onClick={refresh}>
            Refresh now
          </button>
        </Card>
      </div>

      {deleting && (
        <DeleteDialog name={name} busy={deleteBusy} error={deleteError} onCancel={() => setDeleting(false)} onConfirm={confirmDelete} />
      )}
    </div>
  );
}
