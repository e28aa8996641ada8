import { Router } from 'express';
import type { Lifecycle } from '../lifecycle.js';
import type { Store } from '../store/store.js';

/**
 * `/healthz`: the process answers. `/readyz`: it can also reach its store and is not draining, so it
 * may take traffic (a stopping instance says 503 at once, before it stops answering).
 */
export function healthRoutes(deps: { store: Store; lifecycle?: Lifecycle }): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    if (deps.lifecycle?.draining) {
      res.status(503).set('Retry-After', '5').json({ status: 'draining', checks: { lifecycle: 'draining' } });
      return;
    }
    const storeOk = await deps.store.ping().catch(() => false);
    res.status(storeOk ? 200 : 503).json({ status: storeOk ? 'ready' : 'not_ready', checks: { store: storeOk ? 'ok' : 'failing' } });
  });
  return router;
}
