// The create form's model: choices offered by a CloudProfile, the Shoot built from the form, client-side
// validation and the mapping of the garden's field paths back to form fields. No DOM here.
import { compareVersions, isExpired } from './shoot';
import type { CloudProfile, ExpirableVersion } from './types';

export interface Pool {
  key: number;
  name: string;
  machineType: string;
  image: string; // "<name>:<version>"
  volumeType: string;
  volumeSize: string;
  min: string;
  max: string;
}

export interface Schedule {
  key: number;
  start: string;
  end: string;
}

export interface Form {
  name: string;
  cloudProfile: string;
  binding: string;
  region: string;
  zones: string[];
  k8sVersion: string;
  purpose: string;
  pools: Pool[];
  maintenanceBegin: string;
  maintenanceEnd: string;
  schedules: Schedule[];
}

export type FieldErrors = Record<string, string>;

export const MAX_YAML_BYTES = 256 * 1024;

// ---- choices ------------------------------------------------------------------------------------------------

export function kubernetesVersions(p: CloudProfile | undefined): ExpirableVersion[] {
  return (p?.spec.kubernetes?.versions || [])
    .filter((v) => v.version && !isExpired(v.expirationDate))
    .slice()
    .sort((a, b) => compareVersions(b.version, a.version));
}

export function defaultKubernetesVersion(p: CloudProfile | undefined): string {
  const vs = kubernetesVersions(p);
  const supported = vs.find((v) => (v.classification || 'supported') === 'supported');
  return (supported || vs.find((v) => v.classification !== 'preview') || vs[0])?.version || '';
}

export function regionZones(p: CloudProfile | undefined, region: string): string[] {
  return (p?.spec.regions || []).find((r) => r.name === region)?.zones?.map((z) => z.name) || [];
}

function unavailableEverywhere(p: CloudProfile | undefined, region: string, zones: string[], key: 'unavailableMachineTypes' | 'unavailableVolumeTypes') {
  const r = (p?.spec.regions || []).find((x) => x.name === region);
  const chosen = (r?.zones || []).filter((z) => zones.includes(z.name));
  if (!chosen.length) return new Set<string>();
  const sets = chosen.map((z) => new Set(z[key] || []));
  const out = new Set<string>();
  for (const name of sets[0]) if (sets.every((s) => s.has(name))) out.add(name);
  return out;
}

/** Machine types usable in the chosen zones: usable, and not listed as unavailable in every chosen zone. */
export function machineTypes(p: CloudProfile | undefined, region: string, zones: string[]) {
  const blocked = unavailableEverywhere(p, region, zones, 'unavailableMachineTypes');
  return (p?.spec.machineTypes || []).filter((m) => m.usable !== false && !blocked.has(m.name));
}

export function volumeTypes(p: CloudProfile | undefined, region: string, zones: string[]) {
  const blocked = unavailableEverywhere(p, region, zones, 'unavailableVolumeTypes');
  return (p?.spec.volumeTypes || []).filter((v) => v.usable !== false && !blocked.has(v.name));
}

export interface ImageChoice {
  value: string;
  name: string;
  version: string;
  classification?: string;
  expirationDate?: string;
}

export function machineImages(p: CloudProfile | undefined): ImageChoice[] {
  const out: ImageChoice[] = [];
  for (const img of p?.spec.machineImages || []) {
    const versions = (img.versions || [])
      .filter((v) => v.version && !isExpired(v.expirationDate))
      .slice()
      .sort((a, b) => compareVersions(b.version, a.version));
    for (const v of versions) {
      out.push({ value: `${img.name}:${v.version}`, name: img.name, version: v.version, classification: v.classification, expirationDate: v.expirationDate });
    }
  }
  return out;
}

export function defaultImage(p: CloudProfile | undefined): string {
  const all = machineImages(p);
  return (all.find((i) => (i.classification || 'supported') === 'supported') || all[0])?.value || '';
}

export function newPool(key: number, index: number, p: CloudProfile | undefined, region: string, zones: string[]): Pool {
  const types = machineTypes(p, region, zones);
  return {
    key,
    name: index === 0 ? 'worker' : `worker${index + 1}`,
    machineType: types[0]?.name || '',
    image: defaultImage(p),
    volumeType: '',
    volumeSize: '50Gi',
    min: '1',
    max: '2',
  };
}

// ---- the Shoot ----------------------------------------------------------------------------------------------

function toInt(s: string): number | string {
  const t = s.trim();
  return /^-?\d+$/.test(t) ? parseInt(t, 10) : t;
}

function octet3(n: number) {
  return `10.250.${n}.0`;
}

function providerSection(form: Form, p: CloudProfile | undefined, zonesOrdered: string[]) {
  const type = p?.spec.type || '';
  const workers = form.pools.map((pool) => {
    const [imageName, ...rest] = pool.image.split(':');
    const machine = (p?.spec.machineTypes || []).find((m) => m.name === pool.machineType);
    const w: Record<string, unknown> = {
      name: pool.name,
      minimum: toInt(pool.min),
      maximum: toInt(pool.max),
      maxSurge: 1,
      maxUnavailable: 0,
      machine: {
        type: pool.machineType,
        image: { name: imageName || '', version: rest.join(':') },
        architecture: machine?.architecture || 'amd64',
      },
    };
    if (pool.volumeType) w.volume = { type: pool.volumeType, size: pool.volumeSize.trim() || '50Gi' };
    w.cri = { name: 'containerd' };
    w.zones = zonesOrdered;
    return w;
  });
  const provider: Record<string, unknown> = { type };
  if (workers.length && type === 'aws') {
    provider.infrastructureConfig = {
      apiVersion: 'aws.provider.extensions.gardener.cloud/v1alpha1',
      kind: 'InfrastructureConfig',
      networks: {
        vpc: { cidr: '10.250.0.0/16' },
        zones: zonesOrdered.slice(0, 3).map((z, i) => ({
          name: z,
          workers: `${octet3(i * 32)}/19`,
          public: `${octet3(96 + i * 4)}/22`,
          internal: `${octet3(112 + i * 4)}/22`,
        })),
      },
    };
    provider.controlPlaneConfig = { apiVersion: 'aws.provider.extensions.gardener.cloud/v1alpha1', kind: 'ControlPlaneConfig' };
  } else if (workers.length && type === 'openstack') {
    const c = p?.spec.providerConfig?.constraints;
    provider.infrastructureConfig = {
      apiVersion: 'openstack.provider.extensions.gardener.cloud/v1alpha1',
      kind: 'InfrastructureConfig',
      floatingPoolName: c?.floatingPools?.[0]?.name || 'public',
      networks: { workers: '10.250.0.0/19' },
    };
    provider.controlPlaneConfig = {
      apiVersion: 'openstack.provider.extensions.gardener.cloud/v1alpha1',
      kind: 'ControlPlaneConfig',
      loadBalancerProvider: c?.loadBalancerProviders?.[0]?.name || 'amphora',
    };
  }
  if (workers.length) provider.workers = workers;
  return provider;
}

export function buildShoot(form: Form, p: CloudProfile | undefined, namespace: string): Record<string, unknown> {
  const zonesOrdered = regionZones(p, form.region).filter((z) => form.zones.includes(z));
  for (const z of form.zones) if (!zonesOrdered.includes(z)) zonesOrdered.push(z);
  const hasWorkers = form.pools.length > 0;
  const type = p?.spec.type || '';
  const spec: Record<string, unknown> = {
    cloudProfile: { kind: 'CloudProfile', name: form.cloudProfile },
    region: form.region,
  };
  // Workerless shoots have no infrastructure, and the garden refuses credentials for them.
  if (hasWorkers && form.binding) spec.credentialsBindingName = form.binding;
  spec.purpose = form.purpose;
  spec.provider = providerSection(form, p, zonesOrdered);
  spec.kubernetes = { version: form.k8sVersion };
  if (hasWorkers) spec.networking = { type: 'calico', nodes: type === 'local' ? '10.10.0.0/16' : '10.250.0.0/16' };
  spec.maintenance = {
    timeWindow: { begin: form.maintenanceBegin.trim(), end: form.maintenanceEnd.trim() },
    autoUpdate: { kubernetesVersion: true, machineImageVersion: true },
  };
  const schedules = form.schedules
    .filter((s) => s.start.trim() || s.end.trim())
    .map((s) => {
      const o: Record<string, string> = {};
      if (s.start.trim()) o.start = s.start.trim();
      if (s.end.trim()) o.end = s.end.trim();
      o.location = 'UTC';
      return o;
    });
  if (schedules.length) spec.hibernation = { schedules };
  return {
    apiVersion: 'core.gardener.cloud/v1beta1',
    kind: 'Shoot',
    metadata: { name: form.name.trim(), namespace },
    spec,
  };
}

// ---- validation ---------------------------------------------------------------------------------------------

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const WINDOW = /^([01]\d|2[0-3])([0-5]\d)([0-5]\d)[+-](\d{4})$/;
const CRON_FIELD = /^[0-9A-Za-z*,\-/?]+$/;

function windowSeconds(s: string): number | null {
  const m = WINDOW.exec(s.trim());
  if (!m) return null;
  return parseInt(m[1], 10) * 3600 + parseInt(m[2], 10) * 60 + parseInt(m[3], 10);
}

export function validateCron(s: string): string | null {
  const parts = s.trim().split(/\s+/);
  if (parts.length !== 5 || !parts.every((p) => CRON_FIELD.test(p))) {
    return 'must be a cron expression of 5 fields, e.g. "0 19 * * 1-5"';
  }
  return null;
}

export function validate(form: Form): FieldErrors {
  const e: FieldErrors = {};
  const name = form.name.trim();
  if (!name) e.name = 'A name is required.';
  else if (name.length > 21) e.name = `At most 21 characters (this one has ${name.length}).`;
  else if (!DNS_LABEL.test(name)) e.name = 'Lower-case letters, digits and "-" only; start and end with a letter or digit (a DNS label).';
  else if (name.includes('--')) e.name = 'Must not contain "--".';
  if (!form.cloudProfile) e.cloudprofile = 'Choose a cloud profile.';
  if (!form.region) e.region = 'Choose a region.';
  if (!form.k8sVersion) e['k8s-version'] = 'Choose a Kubernetes version.';
  if (!form.purpose) e.purpose = 'Choose a purpose.';
  if (form.pools.length) {
    if (!form.binding) e.binding = 'Shoots with workers need credentials: choose a credentials binding (add one under Credentials).';
    if (!form.zones.length) e.zones = 'Choose at least one zone for the worker pools.';
  }
  const seen = new Set<string>();
  form.pools.forEach((p, i) => {
    const n = p.name.trim();
    if (!n) e[`worker-name-${i}`] = 'A pool name is required.';
    else if (n.length > 15) e[`worker-name-${i}`] = 'At most 15 characters.';
    else if (!DNS_LABEL.test(n)) e[`worker-name-${i}`] = 'Lower-case letters, digits and "-" only (a DNS label).';
    else if (seen.has(n)) e[`worker-name-${i}`] = 'Pool names must be unique.';
    seen.add(n);
    if (!p.machineType) e[`worker-machine-${i}`] = 'Choose a machine type.';
    if (!p.image) e[`worker-image-${i}`] = 'Choose a machine image.';
    if (p.volumeType && !/^\d+(Gi|G|Mi|M|Ti|T)$/.test(p.volumeSize.trim())) e[`worker-volume-${i}`] = 'Volume size like "50Gi".';
    const min = Number(p.min);
    const max = Number(p.max);
    const minOk = p.min.trim() !== '' && Number.isInteger(min) && min >= 0;
    const maxOk = p.max.trim() !== '' && Number.isInteger(max) && max >= 1;
    if (!minOk) e[`worker-min-${i}`] = 'A whole number ≥ 0.';
    if (!maxOk) e[`worker-max-${i}`] = 'A whole number ≥ 1.';
    if (minOk && maxOk && min > max) e[`worker-max-${i}`] = `Maximum (${max}) must not be less than minimum (${min}).`;
  });
  const b = windowSeconds(form.maintenanceBegin);
  const en = windowSeconds(form.maintenanceEnd);
  if (b === null || en === null) {
    e.maintenance = 'Begin and end are times like 220000+0000 (HHMMSS and a zone offset).';
  } else {
    const d = (en - b + 86400) % 86400;
    if (d < 1800) e.maintenance = 'The maintenance window must be at least 30 minutes long.';
    else if (d > 6 * 3600) e.maintenance = 'The maintenance window must be at most 6 hours long.';
  }
  form.schedules.forEach((s, i) => {
    if (!s.start.trim() && !s.end.trim()) e[`schedule-start-${i}`] = 'Give a start, an end or both (or remove the schedule).';
    for (const which of ['start', 'end'] as const) {
      const v = s[which].trim();
      if (v) {
        const msg = validateCron(v);
        if (msg) e[`schedule-${which}-${i}`] = msg;
      }
    }
  });
  return e;
}

// ---- garden field paths -> form fields ----------------------------------------------------------------------

const FIELD_RULES: [RegExp, (m: RegExpExecArray) => string][] = [
  [/^metadata\.(name|generateName)\b/, () => 'name'],
  [/^spec\.cloudProfile(Name)?\b/, () => 'cloudprofile'],
  [/^spec\.(credentialsBindingName|secretBindingName)\b/, () => 'binding'],
  [/^spec\.region\b/, () => 'region'],
  [/^spec\.kubernetes\.version\b/, () => 'k8s-version'],
  [/^spec\.purpose\b/, () => 'purpose'],
  [/^spec\.provider\.workers\[(\d+)\]\.name\b/, (m) => `worker-name-${m[1]}`],
  [/^spec\.provider\.workers\[(\d+)\]\.machine\.type\b/, (m) => `worker-machine-${m[1]}`],
  [/^spec\.provider\.workers\[(\d+)\]\.machine\b/, (m) => `worker-image-${m[1]}`],
  [/^spec\.provider\.workers\[(\d+)\]\.volume\b/, (m) => `worker-volume-${m[1]}`],
  [/^spec\.provider\.workers\[(\d+)\]\.minimum\b/, (m) => `worker-min-${m[1]}`],
  [/^spec\.provider\.workers\[(\d+)\]\.maximum\b/, (m) => `worker-max-${m[1]}`],
  [/^spec\.provider\.workers\[(\d+)\]\.zones\b/, () => 'zones'],
  [/^spec\.provider\.infrastructureConfig\.networks\.zones\b/, () => 'zones'],
  [/^spec\.maintenance\b/, () => 'maintenance'],
  [/^spec\.hibernation\.schedules\[(\d+)\]\.(start|end)\b/, (m) => `schedule-${m[2]}-${m[1]}`],
];

/** The form field a garden field path names, or null when the form has no such field. */
export function fieldFor(path: string | undefined, form: Form): string | null {
  if (!path) return null;
  for (const [re, key] of FIELD_RULES) {
    const m = re.exec(path);
    if (!m) continue;
    const k = key(m);
    const wi = /^worker-[a-z]+-(\d+)$/.exec(k);
    if (wi && parseInt(wi[1], 10) >= form.pools.length) return null;
    const si = /^schedule-[a-z]+-(\d+)$/.exec(k);
    if (si && parseInt(si[1], 10) >= form.schedules.length) return null;
    return k;
  }
  return null;
}
