import { Router } from 'express';
import type { Store } from '../store/store.js';
import { ROUTE_TABLE } from './route-table.js';

/** A load balancer wants an answer now: a store that takes longer than this is not ready. */
const READY_TIMEOUT_MS = 800;

/** `/healthz`: the process answers. `/readyz`: it can also reach its store, so it may take traffic. */
export function healthRoutes(deps: { store: Store; readyTimeoutMs?: number }): Router {
  const router = Router();
  router.get(ROUTE_TABLE.healthz.path, (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get(ROUTE_TABLE.readyz.path, async (_req, res) => {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), deps.readyTimeoutMs ?? READY_TIMEOUT_MS)));
    const storeOk = await Promise.race([deps.store.ping().catch(() => false), timedOut]);
    clearTimeout(timer);
    res.status(storeOk ? 200 : 503).json({ status: storeOk ? 'ready' : 'not_ready', checks: { store: storeOk ? 'ok' : 'failing' } });
  });
  return router;
}
