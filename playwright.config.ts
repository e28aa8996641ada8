/**
 * End-to-end tests against the real server (`npm run test:e2e`, after `npm run build`): the demo
 * store, the built script-tag bundle, the embedded ConnectPSP sandbox, in headless Chromium.
 *
 * Chromium: CHROMIUM_PATH, else the system one (/usr/bin/chromium), else Playwright's own. Never
 * `npx playwright install` here: its CDN is unreachable (docs/stack.md §5).
 */
import { existsSync } from 'node:fs';

import { defineConfig } from '@playwright/test';

import { E2E_API_KEY, E2E_CONSOLE_PASSWORD, E2E_PORT as port } from './test/e2e/env.js';

const executablePath = process.env.CHROMIUM_PATH || (existsSync('/usr/bin/chromium') ? '/usr/bin/chromium' : undefined);

export default defineConfig({
  testDir: 'test/e2e',
  timeout: 30_000,
  expect: { timeout: 10_000 },
  // One server, one in-memory database: run the flows one after another.
  workers: 1,
  reporter: process.env.CI ? [['list']] : [['list'], ['html', { open: 'never' }]],
  use: {
    baseURL: `http://localhost:${port}`,
    headless: true,
    trace: 'retain-on-failure',
    launchOptions: executablePath ? { executablePath } : {},
  },
  projects: [{ name: 'chromium', use: { browserName: 'chromium' } }],
  webServer: {
    // node itself, not `npx tsx` (a launcher with a child): Playwright then stops the very process it started.
    command: process.env.E2E_SERVER_COMMAND ?? 'node --import tsx server/cli.ts start',
    url: `http://localhost:${port}/healthz`,
    env: {
      PORT: String(port),
      DATABASE_URL: 'sqlite::memory:',
      CONNECTPSP_ENV: 'sandbox',
      CHECKOUT_API_KEY: E2E_API_KEY,
      CONSOLE_PASSWORD: E2E_CONSOLE_PASSWORD,
      LOG_LEVEL: 'warn',
    },
    reuseExistingServer: false,
    timeout: 60_000,
    stdout: 'ignore',
    stderr: 'pipe',
  },
});
