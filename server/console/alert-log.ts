/**
 * Alerts persisted, not only logged: every `logger.error(…, { alert: true, code, action })` the
 * server writes (alerts.ts, the services, the reconcilers) is also recorded in the store, where
 * the operator console lists it with its action and a "resolved" mark. The call sites stay as
 * they are; the logger they were given does both.
 */
import { redact, type Logger } from '../logger.js';
import type { NewAlert } from './console-records.js';

/** The field that names what an alert is about, most specific first. */
const SUBJECT_FIELDS = ['payoutId', 'checkoutId', 'transactionId', 'webhookId', 'dedupeKey'] as const;

export function alertFromLog(message: string, fields: Record<string, unknown>, at: string): NewAlert {
  const subject = SUBJECT_FIELDS.map((k) => fields[k]).find((v): v is string => typeof v === 'string') ?? '';
  const { alert: _alert, action, code, ...context } = fields;
  return {
    code: typeof code === 'string' ? code : message.replace(/^ALERT\s+/, '').slice(0, 80),
    subject,
    message: message.replace(/^ALERT\s+/, ''),
    action: typeof action === 'string' ? action : '',
    // The same redaction as the log line: no secret and no whole document reaches the console.
    context: redact(context) as Record<string, unknown>,
    at,
  };
}

export function recordingAlerts(logger: Logger, record: (alert: NewAlert) => Promise<void>, now: () => Date = () => new Date()): Logger {
  return {
    debug: (m, f) => logger.debug(m, f),
    info: (m, f) => logger.info(m, f),
    warn: (m, f) => logger.warn(m, f),
    error: (m, f) => {
      logger.error(m, f);
      if (f?.alert === true) {
        void record(alertFromLog(m, f, now().toISOString())).catch((err: unknown) =>
          logger.warn('could not record an alert', { error: err instanceof Error ? err.message : String(err) }),
        );
      }
    },
    child: (fields) => recordingAlerts(logger.child(fields), record, now),
  };
}
