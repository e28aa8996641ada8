/**
 * The ConnectPSP v2 gateway, as the rest of the server uses it: the typed client, webhook
 * verification, signing helpers, errors and domain types (amounts in integer centavos).
 */
export {
  CONNECTPSP_HOSTS,
  ConnectPspClient,
  DEFAULT_MAX_ATTEMPTS,
  DEFAULT_RETRY_BASE_DELAY_MS,
  DEFAULT_RETRY_MAX_DELAY_MS,
  DEFAULT_TIMEOUT_MS,
  type ConnectPspCallInfo,
  type ConnectPspClientOptions,
} from './client.js';
export {
  ConnectPspApiError,
  ConnectPspAuthenticationError,
  ConnectPspConnectionError,
  ConnectPspError,
  ConnectPspInvalidRequestError,
  connectPspErrorFrom,
  type ConnectPspErrorInit,
  type ConnectPspLocalErrorCode,
} from './errors.js';
export {
  checkWebhookSignature,
  digitalSignature,
  verifyWebhookSignature,
  webhookSignature,
  type WebhookSignatureCheck,
} from './signing.js';
export { ConnectPspTokenCache, DEFAULT_REFRESH_AHEAD_MS, type TokenCacheOptions } from './token-cache.js';
export {
  constructConnectPspEvent,
  WEBHOOK_EVENT_ID_HEADER,
  WEBHOOK_SIGNATURE_HEADER,
  WebhookPayloadError,
  WebhookSignatureError,
  type WebhookHeaders,
  type WebhookSignatureProblem,
} from './webhooks.js';
export * as connectPspSchemas from './schemas.js';
export type * from './types.js';
