import { useEffect, useState } from 'preact/hooks';
import { ApiError, del, get, post, urls } from '../api';
import { Card, ErrorBox, Spinner } from '../components/ui';
import { usePermissions } from '../permissions';
import type { CredentialsBinding, List } from '../types';

interface SecretField {
  key: string;
  label: string;
  secret: boolean;
  placeholder?: string;
}

const PROVIDERS: Record<string, SecretField[]> = {
  local: [],
  aws: [
    { key: 'accessKeyID', label: 'Access key ID', secret: true },
    { key: 'secretAccessKey', label: 'Secret access key', secret: true },
  ],
  openstack: [
    { key: 'authURL', label: 'Keystone URL (authURL)', secret: false, placeholder: 'https://keystone.example.com:5000/v3' },
    { key: 'domainName', label: 'Domain', secret: false, placeholder: 'Default' },
    { key: 'tenantName', label: 'Project (tenantName)', secret: false },
    { key: 'username', label: 'User name', secret: false },
    { key: 'password', label: 'Password', secret: true },
  ],
};

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export function Credentials(props: { project: string; namespace: string }) {
  const { project, namespace } = props;
  const perms = usePermissions(project, namespace);
  const [bindings, setBindings] = useState<CredentialsBinding[] | null>(null);
  const [loadError, setLoadError] = useState('');
  const [provider, setProvider] = useState('local');
  const [name, setName] = useState('');
  const [values, setValues] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const [result, setResult] = useState('');
  const [confirming, setConfirming] = useState('');
  const [tick, setTick] = useState(0);

  useEffect(() => {
    let live = true;
    get<List<CredentialsBinding>>(urls.bindings(namespace))
      .then((l) => {
        if (!live) return;
        setBindings((l?.items || []).slice().sort((a, b) => a.metadata.name.localeCompare(b.metadata.name)));
        setLoadError('');
      })
      .catch((e: ApiError) => {
        if (!live || e.status === 401) return;
        setBindings([]);
        setLoadError(e.status === 403 ? 'You may not list the credentials of this project.' : e.message);
      });
    return () => {
      live = false;
    };
  }, [namespace, tick]);

  const fields = PROVIDERS[provider] || [];
  const canCreate = perms.createSecrets && perms.createBindings;
  const canDelete = perms.deleteBindings;

  async function save(e: Event) {
    e.preventDefault();
    setError('');
    setResult('');
    const n = name.trim();
    if (!n || n.length > 240 || !DNS_SUBDOMAIN.test(n)) {
      setError('The name must be a DNS name: lower-case letters, digits, "-" and ".".');
      return;
    }
    const missing = fields.filter((f) => !(values[f.key] || '').trim()).map((f) => f.label);
    if (missing.length) {
      setError(`Missing: ${missing.join(', ')}.`);
      return;
    }
    const secretName = `${n}-credentials`;
    const stringData: Record<string, string> = {};
    if (provider === 'local') stringData.provider = 'local';
    for (const f of fields) stringData[f.key] = f.secret ? values[f.key] : values[f.key].trim();
    setBusy(true);
    let secretCreated = false;
    try {
      await post(urls.secrets(namespace), {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: secretName, namespace, labels: { [`provider.shoot.gardener.cloud/${provider}`]: 'true' } },
        type: 'Opaque',
        stringData,
      });
      secretCreated = true;
      await post(urls.bindings(namespace), {
        apiVersion: 'security.gardener.cloud/v1alpha1',
        kind: 'CredentialsBinding',
        metadata: { name: n, namespace },
        provider: { type: provider },
        credentialsRef: { apiVersion: 'v1', kind: 'Secret', name: secretName, namespace },
      });
      setResult(`Saved: binding ${n} with the secret ${secretName}.`);
      setName('');
      setTick((t) => t + 1);
    } catch (err) {
      const e2 = err as ApiError;
      if (secretCreated) {
        // Do not leave an orphaned secret behind.
        await del(urls.secret(namespace, secretName)).catch(() => {});
      }
      if (e2.status !== 401) setError(e2.message);
    } finally {
      // Secret values never stay in the page, whatever happened.
      setValues({});
      setBusy(false);
    }
  }

  async function remove(b: CredentialsBinding) {
    setError('');
    setResult('');
    setBusy(true);
    try {
      await del(urls.binding(namespace, b.metadata.name));
      const ref = b.credentialsRef;
      if (ref?.kind === 'Secret' && ref.name && (ref.namespace || namespace) === namespace) {
        try {
          await del(urls.secret(namespace, ref.name));
        } catch (e) {
          if ((e as ApiError).status !== 404) throw e;
        }
      }
      setResult(`Deleted the binding ${b.metadata.name}${ref?.name ? ` and its secret ${ref.name}` : ''}.`);
      setTick((t) => t + 1);
    } catch (err) {
      const e2 = err as ApiError;
      if (e2.status !== 401) setError(e2.message);
    } finally {
      setBusy(false);
      setConfirming('');
    }
  }

  return (
    <div class="page page-narrow" data-perms={perms.loaded ? 'loaded' : 'loading'}>
      <div class="page-header">
        <div>
          <h1>Credentials</h1>
          <p class="muted">
            Cloud credentials of project <strong>{project}</strong>, bound for shoots through CredentialsBindings. Secret
            values are write-only here.
          </p>
        </div>
      </div>
      {error && (
        <div class="alert alert-error" data-testid="cred-error" role="alert">
          {error}
        </div>
      )}
      {result && (
        <div class="alert alert-ok" data-testid="cred-result" role="status">
          {result}
        </div>
      )}
      <ErrorBox message={loadError} testid="binding-list-error" />
      <Card>
        {bindings === null ? (
          <Spinner label="Loading credentials…" />
        ) : (
          <>
            <table class="table" data-testid="binding-list">
              <thead>
                <tr>
                  <th>Binding</th>
                  <th>Provider</th>
                  <th>Secret</th>
                  {canDelete && <th />}
                </tr>
              </thead>
              <tbody>
                {bindings.map((b) => {
                  const n = b.metadata.name;
                  return (
                    <tr key={n} data-testid={`binding-row-${n}`}>
                      <td>{n}</td>
                      <td>{b.provider?.type || '—'}</td>
                      <td>
                        {b.credentialsRef?.name || '—'}
                        {b.credentialsRef?.namespace && b.credentialsRef.namespace !== namespace && (
                          <span class="muted"> ({b.credentialsRef.namespace})</span>
                        )}
                      </td>
                      {canDelete && (
                        <td class="right nowrap">
                          {confirming === n ? (
                            <>
                              <span class="muted small">Delete binding and secret? </span>
                              <button class="btn btn-small btn-danger" data-testid={`binding-delete-confirm-${n}`} disabled={busy} onClick={() => remove(b)}>
                                Delete
                              </button>{' '}
                              <button class="btn btn-small" data-testid={`binding-delete-cancel-${n}`} onClick={() => setConfirming('')}>
                                Keep
                              </button>
                            </>
                          ) : (
                            <button class="btn btn-small btn-danger-ghost" data-testid={`binding-delete-${n}`} disabled={busy} onClick={() => setConfirming(n)}>
                              Delete
                            </button>
                          )}
                        </td>
                      )}
                    </tr>
                  );
                })}
              </tbody>
            </table>
            {bindings.length === 0 && !loadError && <p class="muted">No credentials yet.</p>}
          </>
        )}
      </Card>

      {canCreate && (
        <Card title="Add credentials">
          <form onSubmit={save} data-testid="cred-form" autocomplete="off">
            <div class="grid-2">
              <div class="field">
                <label for="cred-provider">Provider</label>
                <select
                  id="cred-provider"
                  data-testid="cred-provider"
                  value={provider}
                  onChange={(e) => (setProvider((e.target as HTMLSelectElement).value), setValues({}))}
                >
                  {Object.keys(PROVIDERS).map((p) => (
                    <option key={p} value={p}>
                      {p}
                    </option>
                  ))}
                </select>
              </div>
              <div class="field">
                <label for="cred-name">Binding name</label>
                <input id="cred-name" data-testid="cred-name" value={name} placeholder={`my-${provider}`} onInput={(e) => setName((e.target as HTMLInputElement).value)} />
                <div class="hint">The secret is named "{name.trim() || '<name>'}-credentials".</div>
              </div>
              {fields.map((f) => (
                <div class="field" key={`${provider}-${f.key}`}>
                  <label for={`cred-field-${f.key}`}>{f.label}</label>
                  {f.secret ? (
                    <input
                      id={`cred-field-${f.key}`}
                      data-testid={`cred-field-${f.key}`}
                      type="password"
                      autocomplete="new-password"
                      spellcheck={false}
                      placeholder={f.placeholder}
                      value={values[f.key] || ''}
                      onInput={(e) => setValues((v) => ({ ...v, [f.key]: (e.target as HTMLInputElement).value }))}
                    />
                  ) : (
                    <input
                      id={`cred-field-${f.key}`}
                      data-testid={`cred-field-${f.key}`}
                      type="text"
                      autocomplete="off"
                      spellcheck={false}
                      placeholder={f.placeholder}
                      value={values[f.key] || ''}
                      onInput={(e) => setValues((v) => ({ ...v, [f.key]: (e.target as HTMLInputElement).value }))}
                    />
                  )}
                </div>
              ))}
              {fields.length === 0 && <p class="muted">The local provider needs no secret values.</p>}
            </div>
            <div class="form-actions">
              <button class="btn btn-primary" type="submit" data-testid="cred-submit" disabled={busy}>
                Save credentials
              </button>
            </div>
          </form>
        </Card>
      )}
    </div>
  );
}
