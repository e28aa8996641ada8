import { Router } from 'express';
import type { Store } from '../store/store.js';

/** `/healthz`: the process answers. `/readyz`: it can also reach its store, so it may take traffic. */
export function healthRoutes(deps: { store: Store }): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    const storeOk = await deps.store.ping().catch(() => false);
    res.status(storeOk ? 200 : 503).json({ status: storeOk ? 'ready' : 'not_ready', checks: { store: storeOk ? 'ok' : 'failing' } });
  });
  return router;
}
