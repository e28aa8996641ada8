import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { alertFromLog, recordingAlerts } from '../../server/console/alert-log.js';
import type { NewAlert } from '../../server/console/console-records.js';
import { ConsoleSessions, readCookie, SESSION_TTL_MS } from '../../server/console/console-session.js';
import { createLogger } from '../../server/logger.js';

describe('persisted alerts', () => {
  it('turns an alert log line into an alert: code, subject, action, redacted context', () => {
    const alert = alertFromLog(
      'ALERT refund failed',
      {
        alert: true,
        code: 'REFUND_FAILED',
        checkoutId: 'chk_1',
        transactionId: 'tx',
        action: 'Refund again.',
        document: '12345678909',
        clientSecret: 's3cr3t',
      },
      '2026-12-01T00:00:00.000Z',
    );
    assert.equal(alert.code, 'REFUND_FAILED');
    assert.equal(alert.subject, 'chk_1');
    assert.equal(alert.action, 'Refund again.');
    assert.equal(alert.message, 'refund failed');
    assert.equal(JSON.stringify(alert.context).includes('12345678909'), false);
    assert.equal(JSON.stringify(alert.context).includes('s3cr3t'), false);
  });

  it('records only error lines marked alert, and still writes every line to the log', async () => {
    const lines: string[] = [];
    const recorded: NewAlert[] = [];
    const logger = recordingAlerts(
      createLogger('debug', {}, (l) => lines.push(l)),
      async (a) => void recorded.push(a),
    );
    logger.error('plain error', { code: 'X' });
    logger.warn('a warning', { alert: true });
    logger
      .child({ component: 'c' })
      .error('ALERT ConnectPSP INSUFFICIENT_FUNDS', { alert: true, code: 'INSUFFICIENT_FUNDS', action: 'Top up.' });
    assert.equal(lines.length, 3);
    assert.deepEqual(
      recorded.map((a) => a.code),
      ['INSUFFICIENT_FUNDS'],
    );
    assert.equal(recorded[0]!.subject, '');
  });
});

describe('console sessions', () => {
  it('accepts its own cookie until it expires, never a tampered or foreign one', () => {
    let now = 1_000_000;
    const sessions = new ConsoleSessions('a long console password', () => now);
    const { cookie, csrfToken } = sessions.issue();
    assert.equal(sessions.verify(cookie)?.csrfToken, csrfToken);
    const [expiry, nonce, mac] = cookie.split('.') as [string, string, string];
    assert.equal(sessions.verify(`${Number(expiry) + 1}.${nonce}.${mac}`), undefined, 'a longer life is a forgery');
    assert.equal(new ConsoleSessions('another password entirely').verify(cookie), undefined, 'a new password ends every session');
    assert.equal(sessions.verify(undefined), undefined);
    now += SESSION_TTL_MS;
    assert.equal(sessions.verify(cookie), undefined, 'expired');
    assert.equal(sessions.checkPassword('a long console password'), true);
    assert.equal(sessions.checkPassword('a long console passwor'), false);
    assert.equal(readCookie('a=1; cpc_console=x.y.z', 'cpc_console'), 'x.y.z');
  });
});
