/** Shared by playwright.config.ts (which starts the server with it) and the specs. */
export const E2E_PORT = Number(process.env.E2E_PORT ?? 3100);
/** The merchant API key the e2e server runs with (server-to-server calls only). */
export const E2E_API_KEY = 'sk_e2e_connectpsp_checkout_key';
/** The operator console's password on the e2e server (CONSOLE_PASSWORD). */
export const E2E_CONSOLE_PASSWORD = 'e2e-console-password-0123';
