// The one place that talks HTTP: every call goes to the backend of dashboard/API.md (same origin, relative URLs).
// Non-GET requests carry the CSRF token; a 401 anywhere sends the user back to the login page.

export interface Cause {
  field?: string;
  message?: string;
  reason?: string;
}

/** A failed call: the HTTP status, the message to show and, for garden errors, the Status causes. */
export class ApiError extends Error {
  status: number;
  body: unknown;
  causes: Cause[];
  constructor(status: number, message: string, body: unknown) {
    super(message);
    this.status = status;
    this.body = body;
    const details = (body as { details?: { causes?: Cause[] } } | null)?.details;
    this.causes = Array.isArray(details?.causes) ? details!.causes! : [];
  }
}

let csrfToken = '';
let unauthorizedHandler: (message: string) => void = () => {};

export function setCsrfToken(token: string) {
  csrfToken = token;
}

export function onUnauthorized(handler: (message: string) => void) {
  unauthorizedHandler = handler;
}

export interface RequestOptions {
  /** Content-Type of the body (default application/json). */
  contentType?: string;
  /** Do not treat 401 as "session over" (login and the session probe). */
  expect401?: boolean;
  signal?: AbortSignal;
}

function messageOf(status: number, statusText: string, body: unknown): string {
  if (body && typeof body === 'object') {
    const m = (body as { message?: unknown }).message;
    if (typeof m === 'string' && m) return m;
  }
  if (typeof body === 'string' && body.trim()) return body.trim().slice(0, 500);
  return `${status} ${statusText || 'request failed'}`;
}

export async function request<T = unknown>(method: string, url: string, body?: unknown, opts: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (method !== 'GET' && method !== 'HEAD') {
    if (csrfToken) headers['X-CSRF-Token'] = csrfToken;
  }
  let payload: string | undefined;
  if (body !== undefined) {
    headers['Content-Type'] = opts.contentType || 'application/json';
    payload = typeof body === 'string' ? body : JSON.stringify(body);
  }
  let res: Response;
  try {
    res = await fetch(url, { method, headers, body: payload, credentials: 'same-origin', signal: opts.signal, cache: 'no-store' });
  } catch (e) {
    if ((e as Error).name === 'AbortError') throw e;
    throw new ApiError(0, `The dashboard cannot be reached (${(e as Error).message})`, null);
  }
  const text = await res.text();
  let parsed: unknown = null;
  if (text) {
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = text;
    }
  }
  if (!res.ok) {
    const err = new ApiError(res.status, messageOf(res.status, res.statusText, parsed), parsed);
    if (res.status === 401 && !opts.expect401) {
      unauthorizedHandler('Your session has ended or expired. Please log in again.');
    }
    throw err;
  }
  return parsed as T;
}

export const get = <T = unknown>(url: string, opts?: RequestOptions) => request<T>('GET', url, undefined, opts);
export const post = <T = unknown>(url: string, body: unknown, opts?: RequestOptions) => request<T>('POST', url, body, opts);
export const put = <T = unknown>(url: string, body: unknown) => request<T>('PUT', url, body);
export const del = <T = unknown>(url: string) => request<T>('DELETE', url);
export const mergePatch = <T = unknown>(url: string, body: unknown) =>
  request<T>('PATCH', url, body, { contentType: 'application/merge-patch+json' });

// ---- URLs of the garden proxy -------------------------------------------------------------------------------

const enc = encodeURIComponent;
export const CORE = '/api/garden/apis/core.gardener.cloud/v1beta1';
export const SECURITY = '/api/garden/apis/security.gardener.cloud/v1alpha1';

export const urls = {
  shoots: (ns: string) => `${CORE}/namespaces/${enc(ns)}/shoots`,
  shoot: (ns: string, name: string) => `${CORE}/namespaces/${enc(ns)}/shoots/${enc(name)}`,
  cloudProfiles: () => `${CORE}/cloudprofiles`,
  cloudProfile: (name: string) => `${CORE}/cloudprofiles/${enc(name)}`,
  project: (name: string) => `${CORE}/projects/${enc(name)}`,
  events: (ns: string, involvedName: string) =>
    `/api/garden/api/v1/namespaces/${enc(ns)}/events?fieldSelector=${enc(`involvedObject.name=${involvedName}`)}`,
  secrets: (ns: string) => `/api/garden/api/v1/namespaces/${enc(ns)}/secrets`,
  secret: (ns: string, name: string) => `/api/garden/api/v1/namespaces/${enc(ns)}/secrets/${enc(name)}`,
  bindings: (ns: string) => `${SECURITY}/namespaces/${enc(ns)}/credentialsbindings`,
  binding: (ns: string, name: string) => `${SECURITY}/namespaces/${enc(ns)}/credentialsbindings/${enc(name)}`,
  ssar: () => '/api/garden/apis/authorization.k8s.io/v1/selfsubjectaccessreviews',
  watchShoots: (ns: string) => `/api/watch/shoots?namespace=${enc(ns)}`,
  /** The backend's own endpoint (not the garden proxy): the Nodes in the shoot's API server. */
  shootNodes: (ns: string, name: string) => `/api/shoots/${enc(ns)}/${enc(name)}/nodes`,
};
