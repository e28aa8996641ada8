import { Router } from 'express';
import type { Lifecycle } from '../lifecycle.js';
import type { Store } from '../store/store.js';
import { ROUTE_TABLE } from './route-table.js';

/** A load balancer wants an answer now: a store that takes longer than this is not ready. */
const READY_TIMEOUT_MS = 800;

/**
 * `/healthz`: the process answers. `/readyz`: it can also reach its store and is not draining, so it
 * may take traffic (a stopping instance says 503 at once, before it stops answering).
 */
export function healthRoutes(deps: { store: Store; readyTimeoutMs?: number; lifecycle?: Lifecycle }): Router {
  const router = Router();
  router.get(ROUTE_TABLE.healthz.path, (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get(ROUTE_TABLE.readyz.path, async (_req, res) => {
    if (deps.lifecycle?.draining) {
      res
        .status(503)
        .set('Retry-After', '5')
        .json({ status: 'draining', checks: { lifecycle: 'draining' } });
      return;
    }
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), deps.readyTimeoutMs ?? READY_TIMEOUT_MS)));
    const storeOk = await Promise.race([deps.store.ping().catch(() => false), timedOut]);
    clearTimeout(timer);
    res.status(storeOk ? 200 : 503).json({ status: storeOk ? 'ready' : 'not_ready', checks: { store: storeOk ? 'ok' : 'failing' } });
  });
  return router;
}
