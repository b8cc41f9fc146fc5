// Live list of a namespace's shoots: GET /api/watch/shoots (server-sent events) with the initial state as ADDED
// events closed by SYNCED; after that ADDED/MODIFIED/DELETED are applied in small batches. If the stream cannot be
// had (403, backend without it, proxy that buffers), the list falls back to GET + polling.
import { useEffect, useState } from 'preact/hooks';
import { ApiError, get, urls } from './api';
import type { List, Shoot } from './types';

export type WatchMode = 'connecting' | 'live' | 'polling';

export interface ShootWatch {
  shoots: Map<string, Shoot>;
  loaded: boolean;
  mode: WatchMode;
  error: string;
}

interface WatchEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'SYNCED' | 'ERROR';
  object?: Shoot;
}

const POLL_MS = 10_000;
const SYNC_TIMEOUT_MS = 20_000;

function apply(map: Map<string, Shoot>, ev: WatchEvent) {
  const name = ev.object?.metadata?.name;
  if (!name) return;
  if (ev.type === 'DELETED') map.delete(name);
  else if (ev.type === 'ADDED' || ev.type === 'MODIFIED') map.set(name, ev.object!);
}

export function useShootWatch(namespace: string): ShootWatch {
  const [state, setState] = useState<ShootWatch>({ shoots: new Map(), loaded: false, mode: 'connecting', error: '' });

  useEffect(() => {
    let closed = false;
    let es: EventSource | null = null;
    let current = new Map<string, Shoot>();
    let initial: Map<string, Shoot> | null = new Map();
    let pending: WatchEvent[] = [];
    let flushTimer: ReturnType<typeof setTimeout> | undefined;
    let pollTimer: ReturnType<typeof setTimeout> | undefined;
    let syncTimer: ReturnType<typeof setTimeout> | undefined;
    let everSynced = false;

    setState({ shoots: current, loaded: false, mode: 'connecting', error: '' });

    const publish = (mode: WatchMode, error = '') => {
      if (!closed) setState({ shoots: current, loaded: true, mode, error });
    };

    const flush = () => {
      flushTimer = undefined;
      if (!pending.length) return;
      const next = new Map(current);
      for (const ev of pending) apply(next, ev);
      pending = [];
      current = next;
      publish('live');
    };

    const poll = async () => {
      if (closed) return;
      try {
        const list = await get<List<Shoot>>(urls.shoots(namespace));
        const next = new Map<string, Shoot>();
        for (const s of list?.items || []) if (s?.metadata?.name) next.set(s.metadata.name, s);
        current = next;
        publish('polling');
      } catch (e) {
        const err = e as ApiError;
        if (err.status === 401) return; // the app is on its way to the login page
        const msg = err.status === 403 ? `You may not list the shoots of this project (${err.message}).` : err.message;
        publish('polling', msg);
      }
      if (!closed) pollTimer = setTimeout(poll, POLL_MS);
    };

    const fallBack = () => {
      if (closed) return;
      if (es) {
        es.close();
        es = null;
      }
      clearTimeout(syncTimer);
      if (pollTimer === undefined) poll();
    };

    if (typeof EventSource === 'undefined') {
      fallBack();
    } else {
      es = new EventSource(urls.watchShoots(namespace), { withCredentials: true });
      syncTimer = setTimeout(() => !everSynced && fallBack(), SYNC_TIMEOUT_MS);
      es.onopen = () => {
        // A (re)connection replays the whole state: collect it and swap it in at SYNCED, so shoots deleted while
        // disconnected disappear too.
        initial = new Map();
      };
      es.onmessage = (m: MessageEvent<string>) => {
        let ev: WatchEvent;
        try {
          ev = JSON.parse(m.data);
        } catch {
          return;
        }
        if (ev.type === 'SYNCED') {
          everSynced = true;
          clearTimeout(syncTimer);
          if (initial) {
            current = initial;
            initial = null;
            pending = [];
            publish('live');
          }
          return;
        }
        if (ev.type === 'ERROR') return;
        if (initial) {
          apply(initial, ev);
          return;
        }
        pending.push(ev);
        if (flushTimer === undefined) flushTimer = setTimeout(flush, 50);
      };
      es.onerror = () => {
        if (closed || !es) return;
        // CLOSED: the server refused the stream (401/403/404…); before the first SYNCED: do not wait for it.
        // Otherwise the browser reconnects by itself.
        if (es.readyState === EventSource.CLOSED || !everSynced) fallBack();
      };
    }

    return () => {
      closed = true;
      if (es) es.close();
      clearTimeout(flushTimer);
      clearTimeout(pollTimer);
      clearTimeout(syncTimer);
    };
  }, [namespace]);

  return state;
}
