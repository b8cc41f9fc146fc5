import { Component } from 'preact';
import { useCallback, useMemo, useState } from 'preact/hooks';
import { ApiError, mergePatch, urls } from '../api';
import { Badge, ErrorBox, ProgressBar, Spinner } from '../components/ui';
import { usePermissions } from '../permissions';
import { href } from '../router';
import {
  CREATED_BY,
  PURPOSES,
  cloudProfileOf,
  conditionShort,
  conditionTone,
  formatTime,
  hasIssues,
  hibernationState,
  progressOf,
  seedOf,
  stateTone,
  statusText,
} from '../shoot';
import type { Shoot } from '../types';
import { useShootWatch } from '../watch';

const searchCache = new WeakMap<Shoot, string>();
function searchText(s: Shoot): string {
  let t = searchCache.get(s);
  if (t === undefined) {
    t = [
      s.metadata.name,
      s.spec?.provider?.type,
      s.spec?.region,
      cloudProfileOf(s),
      s.spec?.kubernetes?.version,
      s.spec?.purpose,
      seedOf(s),
      s.metadata.annotations?.[CREATED_BY],
      statusText(s),
      hibernationState(s),
    ]
      .filter(Boolean)
      .join('\u0000')
      .toLowerCase();
    searchCache.set(s, t);
  }
  return t;
}

const HIBERNATION_TONE = { Awake: 'ok', Hibernated: 'muted', Hibernating: 'info', 'Waking up': 'info' } as const;

interface RowProps {
  shoot: Shoot;
  project: string;
  selected: boolean;
  selectable: boolean;
  onToggle: (name: string, on: boolean) => void;
}

/** One table row; re-renders only when its shoot object (replaced on every watch event) or selection changes. */
class ShootRow extends Component<RowProps> {
  shouldComponentUpdate(next: RowProps) {
    const p = this.props;
    return p.shoot !== next.shoot || p.selected !== next.selected || p.selectable !== next.selectable || p.project !== next.project;
  }
  render({ shoot: s, project, selected, selectable, onToggle }: RowProps) {
    const name = s.metadata.name;
    const op = s.status?.lastOperation;
    const tone = stateTone(op?.state);
    const hib = hibernationState(s);
    const conditions = s.status?.conditions || [];
    const errors = s.status?.lastErrors?.length || 0;
    return (
      <tr data-testid={`shoot-row-${name}`} class={selected ? 'selected' : undefined}>
        {selectable && (
          <td class="col-select">
            <input
              type="checkbox"
              aria-label={`select ${name}`}
              data-testid={`select-${name}`}
              checked={selected}
              onChange={(e) => onToggle(name, (e.target as HTMLInputElement).checked)}
            />
          </td>
        )}
        <td class="col-name">
          <a href={href.shoot(project, name)} data-testid={`shoot-link-${name}`}>
            {name}
          </a>
          {s.metadata.deletionTimestamp && <span class="tag tag-err">deleting</span>}
        </td>
        <td>
          <span class="provider">{s.spec?.provider?.type || '—'}</span>
          <span class="muted"> / {s.spec?.region || '—'}</span>
        </td>
        <td>{s.spec?.kubernetes?.version || '—'}</td>
        <td>{s.spec?.purpose || '—'}</td>
        <td class="col-status" data-testid={`shoot-status-${name}`}>
          <div class={`status-text tone-${tone}`}>{statusText(s)}</div>
          {op && <ProgressBar value={op.state === 'Succeeded' ? 100 : progressOf(s)} tone={tone} />}
          {errors > 0 && <div class="status-errors">{errors === 1 ? '1 error' : `${errors} errors`}</div>}
        </td>
        <td class="col-conditions">
          {conditions.length === 0 && <span class="muted">—</span>}
          {conditions.map((c) => (
            <Badge key={c.type} tone={conditionTone(c)} title={`${c.type}: ${c.status}${c.message ? ` — ${c.message}` : ''}`}>
              {conditionShort(c.type)}
            </Badge>
          ))}
        </td>
        <td>{seedOf(s) || <span class="muted">—</span>}</td>
        <td class="col-created">
          <div>{s.metadata.annotations?.[CREATED_BY] || <span class="muted">—</span>}</div>
          <div class="muted small">{formatTime(s.metadata.creationTimestamp)}</div>
        </td>
        <td data-testid={`shoot-hibernation-${name}`}>
          <Badge tone={HIBERNATION_TONE[hib]}>{hib}</Badge>
        </td>
      </tr>
    );
  }
}

type SortKey = 'name' | 'created';

async function patchAll(ns: string, names: string[], body: unknown): Promise<string[]> {
  const failures: string[] = [];
  let next = 0;
  async function worker() {
    while (next < names.length) {
      const name = names[next++];
      try {
        await mergePatch(urls.shoot(ns, name), body);
      } catch (e) {
        failures.push(`${name}: ${(e as ApiError).message}`);
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(4, names.length) }, worker));
  return failures;
}

export function ShootList(props: { project: string; namespace: string }) {
  const { project, namespace } = props;
  const perms = usePermissions(project, namespace);
  const watch = useShootWatch(namespace);
  const [search, setSearch] = useState('');
  const [issuesOnly, setIssuesOnly] = useState(false);
  const [purpose, setPurpose] = useState('');
  const [sort, setSort] = useState<SortKey>('name');
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [bulkBusy, setBulkBusy] = useState(false);
  const [bulkResult, setBulkResult] = useState<{ ok: boolean; text: string } | null>(null);

  const all = watch.shoots;
  const rows = useMemo(() => {
    const q = search.trim().toLowerCase();
    const out: Shoot[] = [];
    for (const s of all.values()) {
      if (purpose && s.spec?.purpose !== purpose) continue;
      if (issuesOnly && !hasIssues(s)) continue;
      if (q && !searchText(s).includes(q)) continue;
      out.push(s);
    }
    if (sort === 'created') {
      out.sort((a, b) => (b.metadata.creationTimestamp || '').localeCompare(a.metadata.creationTimestamp || ''));
    } else {
      out.sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0));
    }
    return out;
  }, [all, search, issuesOnly, purpose, sort]);

  const issueCount = useMemo(() => {
    let n = 0;
    for (const s of all.values()) if (hasIssues(s)) n++;
    return n;
  }, [all]);

  // Selected shoots that still exist.
  const chosen = useMemo(() => [...selected].filter((n) => all.has(n)), [selected, all]);
  const visibleNames = useMemo(() => rows.map((s) => s.metadata.name), [rows]);
  const allVisibleSelected = visibleNames.length > 0 && visibleNames.every((n) => selected.has(n));

  const onToggle = useCallback((name: string, on: boolean) => {
    setSelected((prev) => {
      const next = new Set(prev);
      if (on) next.add(name);
      else next.delete(name);
      return next;
    });
  }, []);

  async function bulk(enabled: boolean) {
    if (!chosen.length) return;
    setBulkBusy(true);
    setBulkResult(null);
    const failures = await patchAll(namespace, chosen, { spec: { hibernation: { enabled } } });
    setBulkBusy(false);
    const verb = enabled ? 'Hibernation' : 'Wake-up';
    if (failures.length) {
      setBulkResult({ ok: false, text: `${verb} failed for ${failures.length} of ${chosen.length}: ${failures.join('; ')}` });
    } else {
      setBulkResult({ ok: true, text: `${verb} requested for ${chosen.length} shoot${chosen.length === 1 ? '' : 's'}.` });
      setSelected(new Set());
    }
  }

  const selectable = perms.patchShoots;

  return (
    <div class="page" data-perms={perms.loaded ? 'loaded' : 'loading'}>
      <div class="page-header">
        <div>
          <h1>Shoots</h1>
          <p class="muted">
            {watch.loaded ? (
              <>
                <span data-testid="shoot-count">{all.size}</span> shoot{all.size === 1 ? '' : 's'}
                {issueCount > 0 && <> · <span class="tone-err">{issueCount} with issues</span></>} ·{' '}
              </>
            ) : null}
            <span class={`live live-${watch.mode}`} data-testid="live-mode" title="How the list stays current">
              {watch.mode === 'live' ? 'live' : watch.mode === 'polling' ? 'refreshing every 10 s' : 'connecting…'}
            </span>
          </p>
        </div>
        {perms.createShoots && (
          <a class="btn btn-primary" href={href.create(project)} data-testid="create-shoot-button">
            + Create shoot
          </a>
        )}
      </div>

      <div class="toolbar">
        <input
          type="search"
          class="search"
          placeholder="Search name, provider, region, version, seed, creator…"
          aria-label="Search shoots"
          data-testid="shoot-search"
          value={search}
          onInput={(e) => setSearch((e.target as HTMLInputElement).value)}
        />
        <label class="check">
          <input
            type="checkbox"
            data-testid="filter-issues"
            checked={issuesOnly}
            onChange={(e) => setIssuesOnly((e.target as HTMLInputElement).checked)}
          />
          with issues only
        </label>
        <label class="inline">
          Purpose
          <select data-testid="filter-purpose" value={purpose} onChange={(e) => setPurpose((e.target as HTMLSelectElement).value)}>
            <option value="">all</option>
            {PURPOSES.map((p) => (
              <option key={p} value={p}>
                {p}
              </option>
            ))}
          </select>
        </label>
        <label class="inline">
          Sort
          <select data-testid="sort" value={sort} onChange={(e) => setSort((e.target as HTMLSelectElement).value as SortKey)}>
            <option value="name">by name</option>
            <option value="created">newest first</option>
          </select>
        </label>
        {selectable && (
          <div class="bulk">
            <span class="muted">{chosen.length} selected</span>
            <button class="btn" data-testid="bulk-hibernate" disabled={!chosen.length || bulkBusy} onClick={() => bulk(true)}>
              Hibernate
            </button>
            <button class="btn" data-testid="bulk-wake" disabled={!chosen.length || bulkBusy} onClick={() => bulk(false)}>
              Wake up
            </button>
          </div>
        )}
      </div>

      {bulkResult && (
        <div class={`alert ${bulkResult.ok ? 'alert-ok' : 'alert-error'}`} data-testid="bulk-result" role="status">
          {bulkResult.text}
        </div>
      )}
      <ErrorBox message={watch.error} testid="list-error" />

      {!watch.loaded ? (
        <Spinner label="Loading shoots…" />
      ) : (
        <div class="table-wrap">
          <table class="table shoots" data-testid="shoot-list">
            <thead>
              <tr>
                {selectable && (
                  <th class="col-select">
                    <input
                      type="checkbox"
                      aria-label="select all shown"
                      data-testid="select-all"
                      checked={allVisibleSelected}
                      onChange={(e) => {
                        const on = (e.target as HTMLInputElement).checked;
                        setSelected((prev) => {
                          const next = new Set(prev);
                          for (const n of visibleNames) on ? next.add(n) : next.delete(n);
                          return next;
                        });
                      }}
                    />
                  </th>
                )}
                <th>Name</th>
                <th>Infrastructure</th>
                <th>Kubernetes</th>
                <th>Purpose</th>
                <th>Status</th>
                <th>Readiness</th>
                <th>Seed</th>
                <th>Created by</th>
                <th>Hibernation</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((s) => (
                <ShootRow
                  key={s.metadata.name}
                  shoot={s}
                  project={project}
                  selected={selected.has(s.metadata.name)}
                  selectable={selectable}
                  onToggle={onToggle}
                />
              ))}
            </tbody>
          </table>
          {rows.length === 0 && (
            <div class="empty" data-testid="shoot-list-empty">
              {all.size === 0 ? 'No shoots in this project yet.' : 'No shoot matches the filters.'}
            </div>
          )}
        </div>
      )}
    </div>
  );
}
