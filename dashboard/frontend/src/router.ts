import { useEffect, useState } from 'preact/hooks';

export type Route =
  | { page: 'login' }
  | { page: 'home' }
  | { page: 'shoots'; project: string }
  | { page: 'shoot'; project: string; name: string }
  | { page: 'create'; project: string }
  | { page: 'members'; project: string }
  | { page: 'credentials'; project: string }
  | { page: 'notfound'; path: string };

export function parseHash(hash: string): Route {
  const path = hash.replace(/^#/, '') || '/';
  const parts = path.split('/').filter(Boolean).map((p) => {
    try {
      return decodeURIComponent(p);
    } catch {
      return p;
    }
  });
  if (parts.length === 0) return { page: 'home' };
  if (parts[0] === 'login' && parts.length === 1) return { page: 'login' };
  if (parts[0] === 'projects' && parts.length >= 2) {
    const project = parts[1];
    if (parts.length === 2 || (parts.length === 3 && parts[2] === 'shoots')) return { page: 'shoots', project };
    if (parts.length === 4 && parts[2] === 'shoots') return { page: 'shoot', project, name: parts[3] };
    if (parts.length === 3 && parts[2] === 'create') return { page: 'create', project };
    if (parts.length === 3 && parts[2] === 'members') return { page: 'members', project };
    if (parts.length === 3 && parts[2] === 'credentials') return { page: 'credentials', project };
  }
  return { page: 'notfound', path };
}

const enc = encodeURIComponent;

export const href = {
  login: () => '#/login',
  shoots: (p: string) => `#/projects/${enc(p)}/shoots`,
  shoot: (p: string, name: string) => `#/projects/${enc(p)}/shoots/${enc(name)}`,
  create: (p: string) => `#/projects/${enc(p)}/create`,
  members: (p: string) => `#/projects/${enc(p)}/members`,
  credentials: (p: string) => `#/projects/${enc(p)}/credentials`,
};

export function navigate(to: string, replace = false) {
  if (replace) {
    history.replaceState(null, '', to);
    window.dispatchEvent(new HashChangeEvent('hashchange'));
  } else {
    location.hash = to;
  }
}

export function useRoute(): Route {
  const [hash, setHash] = useState(location.hash);
  useEffect(() => {
    const on = () => setHash(location.hash);
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, []);
  return parseHash(hash);
}
