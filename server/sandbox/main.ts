/**
 * Runs the ConnectPSP sandbox as its own process: `npm run sandbox`. The companion server then
 * reaches it through `CONNECTPSP_BASE_URL=http://127.0.0.1:4010/sandbox/connectpsp npm start`.
 *
 * Environment (this process only; `npm start` does not read these, and the README lists them):
 * - `SANDBOX_PORT` (default 4010), `SANDBOX_HOST` (default 127.0.0.1): where it listens.
 * - `SANDBOX_PUBLIC_URL` (default `http://<host>:<port>/sandbox`): what payers and clients reach it
 *   at, used in `paymentUrl` and the BR Code location.
 * - `CONNECTPSP_CLIENT_ID`, `CONNECTPSP_CLIENT_SECRET`, `CONNECTPSP_APPLICATION_TOKEN`,
 *   `CONNECTPSP_CRYPTO_TOKEN` (default `SANDBOX_CREDENTIALS`): the only credentials it accepts.
 * - `SANDBOX_WEBHOOK_URL`: where webhooks go for a charge created without `webhookUrl` (the
 *   companion server always sends one, so it needs none).
 * - `SANDBOX_STATE_FILE`: keep the state across restarts in this JSON file (default: in memory).
 */
import { createSandboxApp } from './app.js';
import { SANDBOX_CREDENTIALS } from './defaults.js';

const env = process.env;
const port = Number(env.SANDBOX_PORT ?? 4010);
if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`SANDBOX_PORT must be a port number, got "${env.SANDBOX_PORT}"`);
const host = env.SANDBOX_HOST ?? '127.0.0.1';
const publicUrl = env.SANDBOX_PUBLIC_URL ?? `http://${host}:${port}/sandbox`;

const app = createSandboxApp({
  credentials: {
    clientId: env.CONNECTPSP_CLIENT_ID ?? SANDBOX_CREDENTIALS.clientId,
    clientSecret: env.CONNECTPSP_CLIENT_SECRET ?? SANDBOX_CREDENTIALS.clientSecret,
    applicationToken: env.CONNECTPSP_APPLICATION_TOKEN ?? SANDBOX_CREDENTIALS.applicationToken,
    cryptoToken: env.CONNECTPSP_CRYPTO_TOKEN ?? SANDBOX_CREDENTIALS.cryptoToken,
  },
  publicUrl,
  ...(env.SANDBOX_WEBHOOK_URL ? { defaultWebhookUrl: env.SANDBOX_WEBHOOK_URL } : {}),
  ...(env.SANDBOX_STATE_FILE ? { stateFile: env.SANDBOX_STATE_FILE } : {}),
});

const server = app.listen(port, host, () => {
  console.log(`ConnectPSP sandbox on ${publicUrl}/connectpsp`);
});

let closing = false;
async function shutdown(signal: string): Promise<void> {
  if (closing) return;
  closing = true;
  console.log(`${signal}: closing the ConnectPSP sandbox`);
  await app.sandbox.close();
  server.close(() => process.exit(0));
  // Keep-alive connections may hold close() open; do not hang on them.
  server.closeAllConnections();
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
