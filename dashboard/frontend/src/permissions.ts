// What may the user do in a project? One SelfSubjectAccessReview per question, asked once per project and
// session; write actions stay hidden until the garden says yes.
import { useEffect, useState } from 'preact/hooks';
import { post, urls } from './api';

export interface Permissions {
  loaded: boolean;
  createShoots: boolean;
  patchShoots: boolean;
  deleteShoots: boolean;
  adminKubeconfig: boolean;
  viewerKubeconfig: boolean;
  updateProject: boolean;
  createSecrets: boolean;
  deleteSecrets: boolean;
  createBindings: boolean;
  deleteBindings: boolean;
}

export const NO_PERMISSIONS: Permissions = {
  loaded: false,
  createShoots: false,
  patchShoots: false,
  deleteShoots: false,
  adminKubeconfig: false,
  viewerKubeconfig: false,
  updateProject: false,
  createSecrets: false,
  deleteSecrets: false,
  createBindings: false,
  deleteBindings: false,
};

interface Attr {
  verb: string;
  group: string;
  resource: string;
  subresource?: string;
  name?: string;
  namespace?: string;
}

async function allowed(a: Attr): Promise<boolean> {
  try {
    const res = await post<{ status?: { allowed?: boolean } }>(urls.ssar(), {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SelfSubjectAccessReview',
      spec: { resourceAttributes: a },
    });
    return !!res?.status?.allowed;
  } catch {
    return false;
  }
}

const GARDEN = 'core.gardener.cloud';
const SECURITY = 'security.gardener.cloud';
const cache = new Map<string, Promise<Permissions>>();
const resolved = new Map<string, Permissions>();
const keyOf = (project: string, namespace: string) => `${project}\u0000${namespace}`;

export function clearPermissionCache() {
  cache.clear();
  resolved.clear();
}

export function loadPermissions(project: string, namespace: string): Promise<Permissions> {
  const key = keyOf(project, namespace);
  let p = cache.get(key);
  if (!p) {
    const ns = namespace;
    const questions: [keyof Permissions, Attr][] = [
      ['createShoots', { verb: 'create', group: GARDEN, resource: 'shoots', namespace: ns }],
      ['patchShoots', { verb: 'patch', group: GARDEN, resource: 'shoots', namespace: ns }],
      ['deleteShoots', { verb: 'delete', group: GARDEN, resource: 'shoots', namespace: ns }],
      ['adminKubeconfig', { verb: 'create', group: GARDEN, resource: 'shoots', subresource: 'adminkubeconfig', namespace: ns }],
      ['viewerKubeconfig', { verb: 'create', group: GARDEN, resource: 'shoots', subresource: 'viewerkubeconfig', namespace: ns }],
      ['updateProject', { verb: 'update', group: GARDEN, resource: 'projects', name: project }],
      ['createSecrets', { verb: 'create', group: '', resource: 'secrets', namespace: ns }],
      ['deleteSecrets', { verb: 'delete', group: '', resource: 'secrets', namespace: ns }],
      ['createBindings', { verb: 'create', group: SECURITY, resource: 'credentialsbindings', namespace: ns }],
      ['deleteBindings', { verb: 'delete', group: SECURITY, resource: 'credentialsbindings', namespace: ns }],
    ];
    p = Promise.all(questions.map(([, a]) => allowed(a))).then((answers) => {
      const perms: Permissions = { ...NO_PERMISSIONS, loaded: true };
      questions.forEach(([k], i) => ((perms as unknown as Record<string, boolean>)[k] = answers[i]));
      if (cache.get(key) === p) resolved.set(key, perms);
      return perms;
    });
    cache.set(key, p);
  }
  return p;
}

export function usePermissions(project: string, namespace: string): Permissions {
  // Answers already known render at once (no flash of hidden buttons when moving between pages).
  const [perms, setPerms] = useState<Permissions>(() => resolved.get(keyOf(project, namespace)) || NO_PERMISSIONS);
  useEffect(() => {
    let live = true;
    setPerms(resolved.get(keyOf(project, namespace)) || NO_PERMISSIONS);
    if (!project || !namespace) return;
    loadPermissions(project, namespace).then((p) => live && setPerms(p));
    return () => {
      live = false;
    };
  }, [project, namespace]);
  return perms;
}
