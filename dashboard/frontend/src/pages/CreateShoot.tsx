import { diffLines } from 'diff';
import { dump, load } from 'js-yaml';
import type { ComponentChildren } from 'preact';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { ApiError, get, post, urls } from '../api';
import { ErrorBox, FieldError, Spinner } from '../components/ui';
import {
  MAX_YAML_BYTES,
  buildShoot,
  defaultImage,
  defaultKubernetesVersion,
  fieldFor,
  kubernetesVersions,
  machineImages,
  machineTypes,
  newPool,
  regionZones,
  validate,
  volumeTypes,
  type FieldErrors,
  type Form,
  type Pool,
} from '../createShoot';
import { usePermissions } from '../permissions';
import { href, navigate } from '../router';
import { PURPOSES } from '../shoot';
import type { CloudProfile, CredentialsBinding, List } from '../types';

type Tab = 'form' | 'yaml' | 'diff';

const bytes = (s: string) => new TextEncoder().encode(s).length;
const kib = (n: number) => `${Math.ceil(n / 1024)} KiB`;

function toYaml(o: unknown): string {
  return dump(o, { noRefs: true, lineWidth: -1 });
}

function parseYaml(text: string): { value?: Record<string, unknown>; error?: string } {
  if (!text.trim()) return { error: 'The YAML is empty.' };
  try {
    const v = load(text);
    if (!v || typeof v !== 'object' || Array.isArray(v)) return { error: 'The YAML must be one object (a Shoot).' };
    const o = v as Record<string, unknown>;
    if (o.kind !== undefined && o.kind !== 'Shoot') return { error: `kind must be "Shoot", not "${String(o.kind)}".` };
    return { value: o };
  } catch (e) {
    return { error: (e as Error).message || String(e) };
  }
}

function Field(props: { label: string; htmlFor?: string; error?: string; errorKey: string; hint?: ComponentChildren; children: ComponentChildren }) {
  return (
    <div class={`field ${props.error ? 'has-error' : ''}`}>
      <label for={props.htmlFor}>{props.label}</label>
      {props.children}
      {props.hint && <div class="hint">{props.hint}</div>}
      <FieldError message={props.error} testid={`field-error-${props.errorKey}`} />
    </div>
  );
}

const val = (e: Event) => (e.target as HTMLInputElement | HTMLSelectElement).value;

export function CreateShoot(props: { project: string; namespace: string }) {
  const { project, namespace } = props;
  const perms = usePermissions(project, namespace);
  const [profiles, setProfiles] = useState<CloudProfile[] | null>(null);
  const [profileDetail, setProfileDetail] = useState<CloudProfile | null>(null);
  const [bindings, setBindings] = useState<CredentialsBinding[]>([]);
  const [loadError, setLoadError] = useState('');
  const keySeq = useRef(1);
  const [form, setForm] = useState<Form>({
    name: '',
    cloudProfile: '',
    binding: '',
    region: '',
    zones: [],
    k8sVersion: '',
    purpose: 'evaluation',
    pools: [],
    maintenanceBegin: '220000+0000',
    maintenanceEnd: '230000+0000',
    schedules: [],
  });
  const [tab, setTab] = useState<Tab>('form');
  const [yamlText, setYamlText] = useState('');
  const [yamlDirty, setYamlDirty] = useState(false);
  const [sizeError, setSizeError] = useState('');
  const [serverErrors, setServerErrors] = useState<FieldErrors>({});
  const [generalError, setGeneralError] = useState<string[]>([]);
  const [busy, setBusy] = useState('');
  const [submitted, setSubmitted] = useState(false);

  // Cloud profiles and the project's credentials bindings.
  useEffect(() => {
    let live = true;
    get<List<CloudProfile>>(urls.cloudProfiles())
      .then((l) => {
        if (!live) return;
        const items = (l?.items || []).slice().sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
        setProfiles(items);
      })
      .catch((e: ApiError) => live && (setProfiles([]), setLoadError(`Cannot list cloud profiles: ${e.message}`)));
    get<List<CredentialsBinding>>(urls.bindings(namespace))
      .then((l) => live && setBindings(l?.items || []))
      .catch((e: ApiError) => live && setLoadError(`Cannot list credentials bindings: ${e.message}`));
    return () => {
      live = false;
    };
  }, [namespace]);

  const listed = profiles?.find((p) => p.metadata.name === form.cloudProfile);
  const profile = profileDetail && profileDetail.metadata.name === form.cloudProfile ? profileDetail : listed;
  const providerType = profile?.spec.type || '';
  const matchingBindings = useMemo(
    () => bindings.filter((b) => b.provider?.type === providerType).sort((a, b) => a.metadata.name.localeCompare(b.metadata.name)),
    [bindings, providerType],
  );

  function defaultsFor(p: CloudProfile | undefined, base: Form): Form {
    const region = p?.spec.regions?.[0]?.name || '';
    const zones = regionZones(p, region).slice(0, 1);
    const bs = bindings.filter((b) => b.provider?.type === p?.spec.type);
    return {
      ...base,
      cloudProfile: p?.metadata.name || base.cloudProfile,
      region,
      zones,
      k8sVersion: defaultKubernetesVersion(p),
      binding: bs.find((b) => b.metadata.name === base.binding)?.metadata.name || bs[0]?.metadata.name || '',
      pools: base.pools.map((pool, i) => ({ ...newPool(pool.key, i, p, region, zones), name: pool.name, min: pool.min, max: pool.max })),
    };
  }

  // Pick a profile once the list is there (the first one that has a matching binding, else the first).
  useEffect(() => {
    if (!profiles || form.cloudProfile || !profiles.length) return;
    const withBinding = profiles.find((p) => bindings.some((b) => b.provider?.type === p.spec.type));
    setForm((f) => defaultsFor(withBinding || profiles[0], f));
  }, [profiles, bindings]);

  // The chosen profile, fresh from the garden.
  useEffect(() => {
    if (!form.cloudProfile) return;
    let live = true;
    get<CloudProfile>(urls.cloudProfile(form.cloudProfile))
      .then((p) => live && setProfileDetail(p))
      .catch(() => {});
    return () => {
      live = false;
    };
  }, [form.cloudProfile]);

  // Keep the binding valid when the bindings arrive after the profile was chosen.
  useEffect(() => {
    if (form.binding && matchingBindings.some((b) => b.metadata.name === form.binding)) return;
    const first = matchingBindings[0]?.metadata.name || '';
    if (first !== form.binding) setForm((f) => ({ ...f, binding: first }));
  }, [matchingBindings]);

  const versions = useMemo(() => kubernetesVersions(profile), [profile]);
  const zonesOfRegion = useMemo(() => regionZones(profile, form.region), [profile, form.region]);
  const types = useMemo(() => machineTypes(profile, form.region, form.zones), [profile, form.region, form.zones]);
  const vtypes = useMemo(() => volumeTypes(profile, form.region, form.zones), [profile, form.region, form.zones]);
  const images = useMemo(() => machineImages(profile), [profile]);

  const generated = useMemo(() => buildShoot(form, profile, namespace), [form, profile, namespace]);
  const generatedYaml = useMemo(() => toYaml(generated), [generated]);
  const sentText = yamlDirty ? yamlText : generatedYaml;
  const parsed = useMemo(() => parseYaml(sentText), [sentText]);
  const diff = useMemo(() => {
    if (tab !== 'diff') return null;
    const sent = parsed.value ? toYaml(parsed.value) : sentText;
    return diffLines(generatedYaml, sent);
  }, [tab, generatedYaml, parsed, sentText]);

  // A change makes the last general error stale.
  useEffect(() => setGeneralError([]), [form, yamlText, yamlDirty]);

  // After a first submit attempt, the form is checked as it is typed.
  const clientErrors = useMemo<FieldErrors>(() => (submitted && !yamlDirty ? validate(form) : {}), [submitted, yamlDirty, form]);
  const errors: FieldErrors = { ...clientErrors, ...serverErrors };

  function update(patch: Partial<Form>) {
    setForm((f) => ({ ...f, ...patch }));
    setServerErrors({});
  }

  function updatePool(i: number, patch: Partial<Pool>) {
    setForm((f) => ({ ...f, pools: f.pools.map((p, j) => (j === i ? { ...p, ...patch } : p)) }));
    setServerErrors({});
  }

  function chooseProfile(name: string) {
    const p = profiles?.find((x) => x.metadata.name === name);
    setProfileDetail(null);
    setForm((f) => defaultsFor(p, { ...f, cloudProfile: name }));
    setServerErrors({});
  }

  function chooseRegion(region: string) {
    const zones = regionZones(profile, region).slice(0, 1);
    setForm((f) => ({ ...f, region, zones }));
    setServerErrors({});
  }

  function toggleZone(z: string, on: boolean) {
    setForm((f) => {
      const zones = on ? [...f.zones.filter((x) => x !== z), z] : f.zones.filter((x) => x !== z);
      const okTypes = machineTypes(profile, f.region, zones).map((m) => m.name);
      const pools = f.pools.map((p) => (okTypes.includes(p.machineType) ? p : { ...p, machineType: okTypes[0] || '' }));
      return { ...f, zones, pools };
    });
    setServerErrors({});
  }

  function addPool() {
    setForm((f) => ({ ...f, pools: [...f.pools, newPool(keySeq.current++, f.pools.length, profile, f.region, f.zones)] }));
  }

  function removePool(i: number) {
    setForm((f) => ({ ...f, pools: f.pools.filter((_, j) => j !== i) }));
    setServerErrors({});
  }

  // ---- YAML editor: size limit on paste and on any input -----------------------------------------------------
  function onYamlPaste(e: ClipboardEvent) {
    const text = e.clipboardData?.getData('text') ?? '';
    const n = bytes(text);
    if (n > MAX_YAML_BYTES) {
      e.preventDefault();
      setSizeError(`Refused: the pasted text is ${kib(n)}, more than the 256 KiB the editor takes. Nothing was pasted.`);
    }
  }

  function onYamlInput(e: Event) {
    const el = e.target as HTMLTextAreaElement;
    const n = bytes(el.value);
    if (n > MAX_YAML_BYTES) {
      el.value = sentText;
      setSizeError(`Refused: the YAML would be ${kib(n)}, more than the 256 KiB the editor takes. The change was undone.`);
      return;
    }
    setSizeError('');
    setYamlText(el.value);
    setYamlDirty(true);
    setServerErrors({});
  }

  function resetYaml() {
    setYamlDirty(false);
    setYamlText('');
    setSizeError('');
  }

  // ---- submit ------------------------------------------------------------------------------------------------
  function showGardenError(err: ApiError) {
    const mapped: FieldErrors = {};
    const general: string[] = [];
    for (const c of err.causes) {
      const key = fieldFor(c.field, form);
      const text = c.message || c.reason || 'invalid';
      if (key) mapped[key] = mapped[key] ? `${mapped[key]} ${text}` : text;
      else general.push(c.field ? `${c.field}: ${text}` : text);
    }
    if (!err.causes.length) {
      if (err.status === 409) mapped.name = err.message;
      else general.push(err.message);
    }
    if (general.length && err.causes.length) general.unshift('The garden refused the shoot:');
    setServerErrors(mapped);
    setGeneralError(general);
    if (Object.keys(mapped).length) setTab('form');
  }

  async function submit() {
    setSubmitted(true);
    setGeneralError([]);
    setServerErrors({});
    if (!yamlDirty && Object.keys(validate(form)).length) {
      setTab('form');
      setGeneralError(['Please correct the marked fields.']);
      return;
    }
    if (parsed.error || !parsed.value) {
      setTab('yaml');
      return;
    }
    const body = parsed.value;
    try {
      setBusy('Validating with the garden (dry run)…');
      await post(`${urls.shoots(namespace)}?dryRun=All`, body);
      setBusy('Creating…');
      await post(urls.shoots(namespace), body);
    } catch (e) {
      setBusy('');
      const err = e as ApiError;
      if (err.status === 401) return;
      showGardenError(err);
      return;
    }
    setBusy('');
    navigate(href.shoots(project));
  }

  const versionInfo = versions.find((v) => v.version === form.k8sVersion);
  const blocked = !!(parsed.error || busy || (perms.loaded && !perms.createShoots));

  if (!profiles) return <Spinner label="Loading cloud profiles…" />;

  return (
    <div class="page page-narrow" data-perms={perms.loaded ? 'loaded' : 'loading'}>
      <div class="page-header">
        <div>
          <h1>Create shoot</h1>
          <p class="muted">
            in project <strong>{project}</strong> (namespace <code>{namespace}</code>); every choice comes from the cloud
            profile
          </p>
        </div>
        <a class="btn" href={href.shoots(project)} data-testid="create-cancel">
          Cancel
        </a>
      </div>
      {perms.loaded && !perms.createShoots && (
        <div class="alert alert-warn">You may not create shoots in this project: the garden will refuse it.</div>
      )}
      <ErrorBox message={loadError} testid="create-load-error" />

      <div class="tabs" role="tablist">
        {(['form', 'yaml', 'diff'] as Tab[]).map((t) => (
          <button
            key={t}
            role="tab"
            type="button"
            aria-selected={tab === t}
            class={`tab ${tab === t ? 'active' : ''}`}
            data-testid={`tab-${t}`}
            onClick={() => setTab(t)}
          >
            {t === 'form' ? 'Form' : t === 'yaml' ? 'YAML' : 'Diff'}
            {t === 'yaml' && yamlDirty && <span class="dot" title="edited" />}
          </button>
        ))}
      </div>

      {yamlDirty && tab !== 'yaml' && (
        <div class="alert alert-info" data-testid="yaml-edited-notice">
          The YAML was edited by hand: what is sent is the YAML, not this form.{' '}
          <button type="button" class="btn btn-link" data-testid="yaml-reset" onClick={resetYaml}>
            Discard the YAML edits
          </button>
        </div>
      )}

      {tab === 'form' && (
        <form class="create-form" onSubmit={(e) => (e.preventDefault(), submit())} data-testid="create-form" noValidate>
          <section class="card">
            <h2>General</h2>
            <div class="grid-2">
              <Field label="Name" htmlFor="create-name" error={errors.name} errorKey="name" hint="DNS label, at most 21 characters">
                <input
                  id="create-name"
                  data-testid="create-name"
                  value={form.name}
                  autocomplete="off"
                  spellcheck={false}
                  maxLength={63}
                  onInput={(e) => update({ name: val(e) })}
                />
              </Field>
              <Field label="Purpose" htmlFor="create-purpose" error={errors.purpose} errorKey="purpose">
                <select id="create-purpose" data-testid="create-purpose" value={form.purpose} onChange={(e) => update({ purpose: val(e) })}>
                  {PURPOSES.map((p) => (
                    <option key={p} value={p}>
                      {p}
                    </option>
                  ))}
                </select>
              </Field>
            </div>
          </section>

          <section class="card">
            <h2>Infrastructure</h2>
            <div class="grid-2">
              <Field label="Cloud profile" htmlFor="create-cloudprofile" error={errors.cloudprofile} errorKey="cloudprofile">
                <select
                  id="create-cloudprofile"
                  data-testid="create-cloudprofile"
                  value={form.cloudProfile}
                  onChange={(e) => chooseProfile(val(e))}
                >
                  {!form.cloudProfile && <option value="">choose…</option>}
                  {profiles.map((p) => (
                    <option key={p.metadata.name} value={p.metadata.name}>
                      {p.metadata.name} ({p.spec.type})
                    </option>
                  ))}
                </select>
              </Field>
              <Field
                label="Credentials binding"
                htmlFor="create-binding"
                error={errors.binding}
                errorKey="binding"
                hint={
                  form.pools.length === 0
                    ? 'A workerless shoot has no infrastructure: the binding is left out of the shoot.'
                    : matchingBindings.length === 0
                      ? `No binding for provider "${providerType}" in this project: add one under Credentials.`
                      : `Bindings of provider type "${providerType}"`
                }
              >
                <select id="create-binding" data-testid="create-binding" value={form.binding} onChange={(e) => update({ binding: val(e) })}>
                  {matchingBindings.length === 0 && <option value="">none</option>}
                  {matchingBindings.map((b) => (
                    <option key={b.metadata.name} value={b.metadata.name}>
                      {b.metadata.name}
                    </option>
                  ))}
                </select>
              </Field>
              <Field label="Region" htmlFor="create-region" error={errors.region} errorKey="region">
                <select id="create-region" data-testid="create-region" value={form.region} onChange={(e) => chooseRegion(val(e))}>
                  {(profile?.spec.regions || []).map((r) => (
                    <option key={r.name} value={r.name}>
                      {r.name}
                    </option>
                  ))}
                </select>
              </Field>
              <div class={`field ${errors.zones ? 'has-error' : ''}`}>
                <label>Zones</label>
                <div class="checks" data-testid="create-zones">
                  {zonesOfRegion.length === 0 && <span class="muted">this region lists no zones</span>}
                  {zonesOfRegion.map((z) => (
                    <label key={z} class="check">
                      <input
                        type="checkbox"
                        data-testid={`create-zone-${z}`}
                        checked={form.zones.includes(z)}
                        onChange={(e) => toggleZone(z, (e.target as HTMLInputElement).checked)}
                      />
                      {z}
                    </label>
                  ))}
                </div>
                <div class="hint">The worker pools spread over these zones.</div>
                <FieldError message={errors.zones} testid="field-error-zones" />
              </div>
            </div>
          </section>

          <section class="card">
            <h2>Kubernetes</h2>
            <Field
              label="Version"
              htmlFor="create-k8s-version"
              error={errors['k8s-version']}
              errorKey="k8s-version"
              hint={
                versionInfo?.classification === 'preview'
                  ? 'A preview version: not meant for production, may change.'
                  : versionInfo?.classification === 'deprecated'
                    ? `A deprecated version${versionInfo.expirationDate ? `, expiring on ${versionInfo.expirationDate.slice(0, 10)}` : ''}: plan an upgrade.`
                    : 'Expired versions are not offered.'
              }
            >
              <select id="create-k8s-version" data-testid="create-k8s-version" value={form.k8sVersion} onChange={(e) => update({ k8sVersion: val(e) })}>
                {versions.map((v) => {
                  const cls = v.classification || 'supported';
                  const exp = v.expirationDate ? `, expires ${v.expirationDate.slice(0, 10)}` : '';
                  const mark = cls === 'preview' || cls === 'deprecated' ? ' ⚠' : '';
                  return (
                    <option key={v.version} value={v.version} data-classification={cls}>
                      {`${v.version} — ${cls}${exp}${mark}`}
                    </option>
                  );
                })}
              </select>
            </Field>
          </section>

          <section class="card">
            <div class="card-header">
              <h2>Worker pools</h2>
              <button type="button" class="btn" data-testid="add-worker" onClick={addPool}>
                + Add worker pool
              </button>
            </div>
            {form.pools.length === 0 && (
              <p class="muted" data-testid="workerless-note">
                No worker pools: a workerless shoot (a control plane only, no nodes and no networking).
              </p>
            )}
            {form.pools.map((pool, i) => (
              <div class="pool" key={pool.key} data-testid={`worker-${i}`}>
                <div class="pool-header">
                  <strong>Pool {i + 1}</strong>
                  <button type="button" class="btn btn-small btn-danger-ghost" data-testid={`remove-worker-${i}`} onClick={() => removePool(i)}>
                    Remove
                  </button>
                </div>
                <div class="grid-3">
                  <Field label="Name" htmlFor={`worker-name-${i}`} error={errors[`worker-name-${i}`]} errorKey={`worker-name-${i}`}>
                    <input id={`worker-name-${i}`} data-testid={`worker-name-${i}`} value={pool.name} onInput={(e) => updatePool(i, { name: val(e) })} />
                  </Field>
                  <Field label="Machine type" htmlFor={`worker-machine-${i}`} error={errors[`worker-machine-${i}`]} errorKey={`worker-machine-${i}`}>
                    <select
                      id={`worker-machine-${i}`}
                      data-testid={`worker-machine-${i}`}
                      value={pool.machineType}
                      onChange={(e) => updatePool(i, { machineType: val(e) })}
                    >
                      {types.length === 0 && <option value="">none usable in these zones</option>}
                      {types.map((m) => (
                        <option key={m.name} value={m.name}>
                          {m.name} ({m.cpu || '?'} CPU, {m.memory || '?'}
                          {m.gpu && m.gpu !== '0' ? `, ${m.gpu} GPU` : ''})
                        </option>
                      ))}
                    </select>
                  </Field>
                  <Field label="Machine image" htmlFor={`worker-image-${i}`} error={errors[`worker-image-${i}`]} errorKey={`worker-image-${i}`}>
                    <select
                      id={`worker-image-${i}`}
                      data-testid={`worker-image-${i}`}
                      value={pool.image || defaultImage(profile)}
                      onChange={(e) => updatePool(i, { image: val(e) })}
                    >
                      {images.map((im) => (
                        <option key={im.value} value={im.value}>
                          {im.name} {im.version}
                          {im.classification && im.classification !== 'supported' ? ` (${im.classification})` : ''}
                        </option>
                      ))}
                    </select>
                  </Field>
                  <Field label="Volume type (optional)" htmlFor={`worker-volume-${i}`} error={errors[`worker-volume-${i}`]} errorKey={`worker-volume-${i}`}>
                    <div class="row">
                      <select
                        id={`worker-volume-${i}`}
                        data-testid={`worker-volume-${i}`}
                        value={pool.volumeType}
                        onChange={(e) => updatePool(i, { volumeType: val(e) })}
                      >
                        <option value="">default</option>
                        {vtypes.map((v) => (
                          <option key={v.name} value={v.name}>
                            {v.name}
                            {v.class ? ` (${v.class})` : ''}
                          </option>
                        ))}
                      </select>
                      {pool.volumeType && (
                        <input
                          class="size"
                          aria-label="volume size"
                          data-testid={`worker-volume-size-${i}`}
                          value={pool.volumeSize}
                          onInput={(e) => updatePool(i, { volumeSize: val(e) })}
                        />
                      )}
                    </div>
                  </Field>
                  <Field label="Minimum" htmlFor={`worker-min-${i}`} error={errors[`worker-min-${i}`]} errorKey={`worker-min-${i}`}>
                    <input
                      id={`worker-min-${i}`}
                      type="number"
                      min={0}
                      data-testid={`worker-min-${i}`}
                      value={pool.min}
                      onInput={(e) => updatePool(i, { min: val(e) })}
                    />
                  </Field>
                  <Field label="Maximum" htmlFor={`worker-max-${i}`} error={errors[`worker-max-${i}`]} errorKey={`worker-max-${i}`}>
                    <input
                      id={`worker-max-${i}`}
                      type="number"
                      min={1}
                      data-testid={`worker-max-${i}`}
                      value={pool.max}
                      onInput={(e) => updatePool(i, { max: val(e) })}
                    />
                  </Field>
                </div>
              </div>
            ))}
          </section>

          <section class="card">
            <h2>Maintenance and hibernation</h2>
            <div class={`field ${errors.maintenance ? 'has-error' : ''}`}>
              <label>Maintenance window (HHMMSS+ZZZZ)</label>
              <div class="row">
                <input
                  aria-label="maintenance window begin"
                  data-testid="create-maintenance-begin"
                  value={form.maintenanceBegin}
                  onInput={(e) => update({ maintenanceBegin: val(e) })}
                />
                <span class="muted">to</span>
                <input
                  aria-label="maintenance window end"
                  data-testid="create-maintenance-end"
                  value={form.maintenanceEnd}
                  onInput={(e) => update({ maintenanceEnd: val(e) })}
                />
              </div>
              <div class="hint">30 minutes to 6 hours; the garden updates Kubernetes patch versions and machine images in it.</div>
              <FieldError message={errors.maintenance} testid="field-error-maintenance" />
            </div>
            <div class="field">
              <label>Hibernation schedules (cron, UTC; optional)</label>
              {form.schedules.map((s, i) => (
                <div key={s.key} class="schedule">
                  <div class="row">
                    <input
                      aria-label="hibernate at (cron)"
                      placeholder="start, e.g. 0 19 * * 1-5"
                      data-testid={`create-schedule-start-${i}`}
                      value={s.start}
                      onInput={(e) => update({ schedules: form.schedules.map((x, j) => (j === i ? { ...x, start: val(e) } : x)) })}
                    />
                    <input
                      aria-label="wake up at (cron)"
                      placeholder="end, e.g. 0 7 * * 1-5"
                      data-testid={`create-schedule-end-${i}`}
                      value={s.end}
                      onInput={(e) => update({ schedules: form.schedules.map((x, j) => (j === i ? { ...x, end: val(e) } : x)) })}
                    />
                    <button
                      type="button"
                      class="btn btn-small btn-danger-ghost"
                      data-testid={`remove-schedule-${i}`}
                      onClick={() => update({ schedules: form.schedules.filter((_, j) => j !== i) })}
                    >
                      Remove
                    </button>
                  </div>
                  <FieldError message={errors[`schedule-start-${i}`]} testid={`field-error-schedule-start-${i}`} />
                  <FieldError message={errors[`schedule-end-${i}`]} testid={`field-error-schedule-end-${i}`} />
                </div>
              ))}
              <button
                type="button"
                class="btn btn-small"
                data-testid="add-schedule"
                onClick={() => update({ schedules: [...form.schedules, { key: keySeq.current++, start: '0 19 * * 1-5', end: '0 7 * * 1-5' }] })}
              >
                + Add schedule
              </button>
            </div>
          </section>
        </form>
      )}

      {tab === 'yaml' && (
        <section class="card">
          <p class="muted">
            The Shoot as it will be sent. Edit freely: once edited, the YAML — not the form — is what is sent (at most 256 KiB).
          </p>
          <textarea
            class="yaml-editor"
            data-testid="yaml-editor"
            spellcheck={false}
            autocomplete="off"
            value={sentText}
            onInput={onYamlInput}
            onPaste={onYamlPaste}
          />
          {sizeError && (
            <div class="alert alert-error" data-testid="yaml-size-error" role="alert">
              {sizeError}
            </div>
          )}
          {parsed.error && (
            <div class="alert alert-error yaml-error" data-testid="yaml-error" role="alert">
              <strong>The YAML cannot be read:</strong>
              <pre>{parsed.error}</pre>
            </div>
          )}
          {yamlDirty && (
            <button type="button" class="btn btn-small" data-testid="yaml-reset" onClick={resetYaml}>
              Discard the edits (back to the form's shoot)
            </button>
          )}
        </section>
      )}

      {tab === 'diff' && (
        <section class="card">
          <p class="muted">From the shoot the form generates (−) to what will be sent (+).</p>
          {diff && diff.every((d) => !d.added && !d.removed) ? (
            <p data-testid="diff-empty">No differences: the form's shoot is sent as it is.</p>
          ) : (
            <pre class="diff" data-testid="diff-view">
              {diff?.map((part, i) => {
                const lines = part.value.replace(/\n$/, '').split('\n');
                const cls = part.added ? 'diff-add' : part.removed ? 'diff-del' : 'diff-same';
                const sign = part.added ? '+ ' : part.removed ? '- ' : '  ';
                return (
                  <span key={i} class={cls}>
                    {lines.map((l) => `${sign}${l}\n`).join('')}
                  </span>
                );
              })}
            </pre>
          )}
        </section>
      )}

      {generalError.length > 0 && (
        <div class="alert alert-error" data-testid="create-error" role="alert">
          {generalError[0]}
          {generalError.length > 1 && (
            <ul>
              {generalError.slice(1).map((g, i) => (
                <li key={i}>{g}</li>
              ))}
            </ul>
          )}
        </div>
      )}

      <div class="form-actions">
        {busy && <span class="muted" data-testid="create-busy">{busy}</span>}
        <button type="button" class="btn btn-primary" data-testid="create-submit" disabled={blocked} onClick={submit}>
          Create shoot
        </button>
      </div>
    </div>
  );
}
