import { useEffect, useState } from 'preact/hooks';
import { ApiError, get, put, urls } from '../api';
import { Badge, Card, ErrorBox, Spinner } from '../components/ui';
import { usePermissions } from '../permissions';
import type { Project, ProjectMember } from '../types';

const ROLES = ['admin', 'viewer', 'uam', 'serviceaccountmanager'];
const RBAC = 'rbac.authorization.k8s.io';

function rolesOf(m: ProjectMember): string[] {
  const out: string[] = [];
  if (m.role) out.push(m.role);
  for (const r of m.roles || []) if (!out.includes(r)) out.push(r);
  return out;
}

function sameSubject(a: ProjectMember, b: ProjectMember) {
  return a.kind === b.kind && a.name === b.name && (a.namespace || '') === (b.namespace || '');
}

/** Reads the project, lets `change` edit its members and writes it back; a conflict (409) is retried. */
async function updateMembers(project: string, change: (members: ProjectMember[]) => ProjectMember[]): Promise<Project> {
  for (let attempt = 0; ; attempt++) {
    const p = await get<Project>(urls.project(project));
    p.spec = { ...(p.spec || {}), members: change((p.spec?.members || []).map((m) => ({ ...m }))) };
    try {
      return await put<Project>(urls.project(project), p);
    } catch (e) {
      if ((e as ApiError).status !== 409 || attempt >= 2) throw e;
    }
  }
}

export function Members(props: { project: string; namespace: string }) {
  const { project, namespace } = props;
  const perms = usePermissions(project, namespace);
  const [proj, setProj] = useState<Project | null>(null);
  const [loadError, setLoadError] = useState('');
  const [kind, setKind] = useState<'User' | 'ServiceAccount'>('User');
  const [name, setName] = useState('');
  const [role, setRole] = useState('viewer');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const [result, setResult] = useState('');

  useEffect(() => {
    let live = true;
    setProj(null);
    get<Project>(urls.project(project))
      .then((p) => live && (setProj(p), setLoadError('')))
      .catch((e: ApiError) => live && e.status !== 401 && setLoadError(e.message));
    return () => {
      live = false;
    };
  }, [project]);

  const members = proj?.spec?.members || [];
  const owner = proj?.spec?.owner?.name;

  function subjectFromForm(): ProjectMember | null {
    const n = name.trim();
    if (!n) return null;
    if (kind === 'User') return { apiGroup: RBAC, kind: 'User', name: n };
    const m = /^system:serviceaccount:([^:]+):([^:]+)$/.exec(n);
    if (m) return { apiGroup: '', kind: 'ServiceAccount', name: m[2], namespace: m[1] };
    if (n.includes(':') || n.includes('/')) return null;
    return { apiGroup: '', kind: 'ServiceAccount', name: n, namespace };
  }

  async function add(e: Event) {
    e.preventDefault();
    setError('');
    setResult('');
    const subject = subjectFromForm();
    if (!subject) {
      setError(
        kind === 'User'
          ? 'Give the user name as the garden knows it (the user of a static token, e.g. "alice").'
          : 'Give the service account as "name" (of this project\'s namespace) or "system:serviceaccount:<namespace>:<name>".',
      );
      return;
    }
    setBusy(true);
    try {
      const p = await updateMembers(project, (ms) => {
        const existing = ms.find((m) => sameSubject(m, subject));
        if (!existing) return [...ms, { ...subject, role }];
        if (rolesOf(existing).includes(role)) throw new ApiError(0, `${subject.name} already has the role ${role}.`, null);
        if (!existing.role) existing.role = role;
        else existing.roles = [...(existing.roles || []), role];
        return ms;
      });
      setProj(p);
      setName('');
      setResult(`${subject.name} is now ${role} of ${project}.`);
    } catch (err) {
      const e2 = err as ApiError;
      if (e2.status !== 401) setError(e2.message);
    } finally {
      setBusy(false);
    }
  }

  async function remove(m: ProjectMember) {
    setError('');
    setResult('');
    setBusy(true);
    try {
      const p = await updateMembers(project, (ms) => ms.filter((x) => !sameSubject(x, m)));
      setProj(p);
      setResult(`${m.name} is no longer a member of ${project}.`);
    } catch (err) {
      const e2 = err as ApiError;
      if (e2.status !== 401) setError(e2.message);
    } finally {
      setBusy(false);
    }
  }

  if (!proj) {
    return (
      <div class="page page-narrow" data-perms={perms.loaded ? 'loaded' : 'loading'}>
        {loadError ? <ErrorBox message={`Cannot read the project: ${loadError}`} testid="members-error" /> : <Spinner label="Loading project…" />}
      </div>
    );
  }

  return (
    <div class="page page-narrow" data-perms={perms.loaded ? 'loaded' : 'loading'}>
      <div class="page-header">
        <div>
          <h1>Members</h1>
          <p class="muted">
            of project <strong>{project}</strong>
            {proj.spec?.description ? ` — ${proj.spec.description}` : ''}
          </p>
        </div>
      </div>
      {error && (
        <div class="alert alert-error" data-testid="member-error" role="alert">
          {error}
        </div>
      )}
      {result && (
        <div class="alert alert-ok" data-testid="member-result" role="status">
          {result}
        </div>
      )}
      <Card>
        <table class="table" data-testid="member-list">
          <thead>
            <tr>
              <th>Name</th>
              <th>Kind</th>
              <th>Roles</th>
              {perms.updateProject && <th />}
            </tr>
          </thead>
          <tbody>
            {members.map((m) => {
              const roles = rolesOf(m);
              const isOwner = roles.includes('owner') || (m.kind === 'User' && m.name === owner);
              return (
                <tr key={`${m.kind}/${m.namespace || ''}/${m.name}`} data-testid={`member-row-${m.name}`}>
                  <td>
                    {m.name}
                    {m.kind === 'ServiceAccount' && m.namespace && <span class="muted"> ({m.namespace})</span>}
                  </td>
                  <td>{m.kind}</td>
                  <td>
                    {roles.map((r) => (
                      <Badge key={r} tone={r === 'owner' || r === 'admin' ? 'info' : 'muted'}>
                        {r}
                      </Badge>
                    ))}
                  </td>
                  {perms.updateProject && (
                    <td class="right">
                      <button
                        class="btn btn-small btn-danger-ghost"
                        data-testid={`member-remove-${m.name}`}
                        disabled={busy || isOwner}
                        title={isOwner ? 'The owner cannot be removed' : `Remove ${m.name}`}
                        onClick={() => remove(m)}
                      >
                        Remove
                      </button>
                    </td>
                  )}
                </tr>
              );
            })}
          </tbody>
        </table>
        {members.length === 0 && <p class="muted">No members.</p>}
      </Card>

      {perms.updateProject && (
        <Card title="Add a member">
          <form class="row wrap align-end" onSubmit={add} data-testid="member-form">
            <div class="field">
              <label for="member-kind">Kind</label>
              <select id="member-kind" data-testid="member-kind" value={kind} onChange={(e) => setKind((e.target as HTMLSelectElement).value as 'User')}>
                <option value="User">User</option>
                <option value="ServiceAccount">ServiceAccount</option>
              </select>
            </div>
            <div class="field grow">
              <label for="member-name">Name</label>
              <input
                id="member-name"
                data-testid="member-name"
                value={name}
                autocomplete="off"
                placeholder={kind === 'User' ? 'alice (the user of a static token)' : 'robot or system:serviceaccount:<ns>:<name>'}
                onInput={(e) => setName((e.target as HTMLInputElement).value)}
              />
            </div>
            <div class="field">
              <label for="member-role">Role</label>
              <select id="member-role" data-testid="member-role" value={role} onChange={(e) => setRole((e.target as HTMLSelectElement).value)}>
                {ROLES.map((r) => (
                  <option key={r} value={r}>
                    {r}
                  </option>
                ))}
              </select>
            </div>
            <div class="field">
              <button class="btn btn-primary" type="submit" data-testid="member-add" disabled={busy}>
                Add member
              </button>
            </div>
          </form>
        </Card>
      )}
    </div>
  );
}
