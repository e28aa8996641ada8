import { createHash } from 'node:crypto';
import express, { Router } from 'express';
import type { CheckoutService } from '../checkouts/checkout-service.js';
import { constructConnectPspEvent, WebhookPayloadError, WebhookSignatureError } from '../connectpsp/webhooks.js';
import type { ConnectPspEvent } from '../connectpsp/types.js';
import { ConnectPspError } from '../connectpsp/errors.js';
import type { SignatureFailureMonitor } from '../alerts.js';
import { HttpError } from '../http-error.js';
import type { Logger } from '../logger.js';
import { DomainError } from '../checkouts/errors.js';
import type { Store, WebhookReceipt, WebhookRecord } from '../store/store.js';
import { ROUTE_TABLE } from './route-table.js';

/**
 * The key that says "this is the same event again". `X-Event-Id` changes on every delivery
 * attempt (docs/connectpsp.md §4.5), so it cannot be the key; the transaction, its new status and its
 * end-to-end id are the same on every redelivery of one change.
 */
export function webhookDedupeKey(event: ConnectPspEvent, rawBody: Buffer): string {
  // An event type we do not know has no fields we understand: the exact bytes identify it.
  if (event.eventType === 'UNKNOWN') return `UNKNOWN:${createHash('sha256').update(rawBody).digest('hex')}`;
  return [event.eventType, event.data.transactionId, event.data.status, event.data.endToEndId ?? ''].join(':');
}

/**
 * `POST /v1/webhooks/connectpsp`. Verifies the HMAC over the raw bytes, applies the event, and
 * answers 200 only once the change and the record of the webhook are committed — together, in the
 * change's own transaction (`WebhookReceipt`), or on their own when the event changes nothing. A
 * process that dies before that commit has answered nothing, so ConnectPSP delivers again (and the
 * reconciler asks ConnectPSP about charges still awaiting payment). An event that cannot be
 * applied yet (ConnectPSP unreachable for the confirming GET) is written down unprocessed and
 * answered 503; the reconciler replays it (`Reconciler.replayWebhooks`).
 *
 * With `applyLater` (CONFIRM_PAYMENTS: every event is confirmed by a GET, which may be slow), a
 * verified webhook is answered as soon as it is durably recorded, well inside ConnectPSP's 5 s;
 * confirmation and application come after, and a crash in between loses nothing: the record is
 * still unprocessed and the reconciler applies it.
 */
export interface WebhookRouteDeps {
  service: CheckoutService;
  store: Store;
  cryptoToken: string;
  logger: Logger;
  now: () => Date;
  signatureFailures?: SignatureFailureMonitor;
  /** Observes how long each webhook took to answer, by outcome. */
  observe?: (outcome: string, seconds: number) => void;
  /** Applies a recorded webhook after it was answered. Without it, webhooks are applied before the answer. */
  applyLater?: (record: WebhookRecord) => void;
}

export function webhookRoute(deps: WebhookRouteDeps): Router {
  const router = Router();
  router.post(ROUTE_TABLE.connectpspWebhook.path, express.raw({ type: () => true, limit: '256kb', inflate: false }), async (req, res) => {
    const started = process.hrtime.bigint();
    let outcome = 'error';
    res.on('finish', () => deps.observe?.(outcome, Number(process.hrtime.bigint() - started) / 1e9));
    const rawBody: Buffer = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    let event: ConnectPspEvent;
    try {
      event = constructConnectPspEvent(
        rawBody,
        { signature: req.get('x-connect-signature'), eventId: req.get('x-event-id') },
        deps.cryptoToken,
      );
    } catch (err) {
      if (err instanceof WebhookSignatureError) {
        outcome = 'bad_signature';
        deps.signatureFailures?.record();
        deps.logger.warn('webhook rejected: bad signature', { problem: err.problem, eventId: req.get('x-event-id') });
        throw new HttpError(401, 'Invalid signature.', { field: 'X-Connect-Signature' });
      }
      if (err instanceof WebhookPayloadError) {
        outcome = 'bad_payload';
        deps.logger.warn('webhook rejected: bad payload', { field: err.field, eventId: req.get('x-event-id') });
        throw new HttpError(400, err.message, { field: err.field });
      }
      throw err;
    }
    const dedupeKey = webhookDedupeKey(event, rawBody);
    const transactionId = event.eventType === 'UNKNOWN' ? null : event.data.transactionId;
    const record = {
      dedupeKey,
      eventType: event.eventType === 'UNKNOWN' ? event.rawEventType : event.eventType,
      transactionId,
      rawBody: rawBody.toString('utf8'),
      receivedAt: deps.now().toISOString(),
    };
    const log = deps.logger.child({ eventType: event.eventType, transactionId, eventId: event.eventId });
    if (await deps.store.isWebhookProcessed(dedupeKey)) {
      outcome = 'duplicate';
      log.info('webhook duplicate acknowledged');
      res.status(200).json({ received: true, duplicate: true });
      return;
    }
    if (deps.applyLater) {
      await deps.store.recordWebhook(record, false);
      outcome = 'recorded';
      res.status(200).json({ received: true });
      deps.applyLater(record);
      return;
    }
    const receipt: WebhookReceipt = { record, written: false };
    try {
      outcome = await deps.service.applyEvent(event, receipt);
    } catch (err) {
      // Not applied: written down unprocessed, for the reconciler to replay. ConnectPSP unreachable
      // for the confirming GET is expected now and then; the 503 makes ConnectPSP deliver it again.
      if (!receipt.written) await deps.store.recordWebhook(record, false).catch(() => undefined);
      if (err instanceof ConnectPspError || (err instanceof DomainError && err.kind === 'not_confirmed')) {
        outcome = 'deferred';
        log.warn('webhook recorded, not yet applied', { code: err instanceof ConnectPspError ? err.code : err.kind });
        throw new HttpError(503, 'Recorded; could not confirm with ConnectPSP yet. Deliver again later.', { type: 'gateway_error' });
      }
      throw err;
    }
    // Nothing changed (a late copy, an unknown transaction, a cash-out notice): write it on its own.
    if (!receipt.written) await deps.store.recordWebhook(record, true);
    log.info('webhook applied', { outcome });
    res.status(200).json({ received: true });
  });
  return router;
}
