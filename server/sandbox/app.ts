/**
 * The sandbox as a standalone Express app, kept apart from `listen()` so tests can serve it on any
 * port and `main.ts` stays a few lines.
 */
import express, { type Express } from 'express';

import { notFoundHandler } from './problem.js';
import { createSandbox, type Sandbox, type SandboxOptions } from './sandbox.js';

/** An Express app serving the sandbox under `/sandbox`, with the sandbox itself for `close()`. */
export type SandboxApp = Express & { sandbox: Sandbox };

/**
 * Builds the app: the sandbox router at `/sandbox` (JSON bodies up to 100 kB, parsed inside the
 * router) and a problem+json 404 for every other path. `options.publicUrl` must be
 * `http(s)://<host>:<port>/sandbox` as clients and payers will reach the app.
 */
export function createSandboxApp(options: SandboxOptions): SandboxApp {
  const app = express();
  app.disable('x-powered-by');
  const sandbox = createSandbox(options);
  app.use('/sandbox', sandbox.router);
  app.use(notFoundHandler);
  return Object.assign(app, { sandbox });
}
