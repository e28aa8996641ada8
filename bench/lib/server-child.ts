/**
 * One companion server for a benchmark, in a process of its own so its memory and CPU are its own.
 * Started by `startServerProcess` (server-process.ts), which talks to it over IPC.
 */
import { loadConfig } from '../../server/config.js';
import { createLogger } from '../../server/logger.js';
import { startServer } from '../../server/server.js';

const running = await startServer(loadConfig(), { logger: createLogger('silent') });
const gc = (globalThis as { gc?: () => void }).gc;

process.on('message', async (message: { type: string }) => {
  if (message.type === 'stats') {
    // Twice: the first pass can leave garbage that only the second frees.
    gc?.();
    gc?.();
    process.send!({ type: 'stats', memory: process.memoryUsage(), cpu: process.cpuUsage(), streams: running.bus.size });
  } else if (message.type === 'stop') {
    await running.close();
    process.exit(0);
  }
});
process.send!({ type: 'ready', url: running.url });
