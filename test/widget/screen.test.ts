/**
 * The widget's flow as a table: a state, an action, and the state after it (or "unchanged": the
 * very same object, which is how the element knows that nothing happened). Stale, duplicate and
 * out-of-order frames are rows like any other.
 */
import { expect } from '@open-wc/testing';

import { APPROVAL_WINDOW_MS, deadline, reduce, screenKey, widgetStatus, type Action, type State } from '../../widget/screen.js';
import { makeCharge, makeOpenFinanceCharge, makeSession } from './helpers.js';

const T0 = Date.parse('2026-12-01T12:00:00.000Z');
const pix = makeCharge({
  transactionId: 'pix_1',
  createdAt: new Date(T0).toISOString(),
  expiresAt: new Date(T0 + 15 * 60_000).toISOString(),
});
const pix2 = makeCharge({
  transactionId: 'pix_2',
  createdAt: new Date(T0).toISOString(),
  expiresAt: new Date(T0 + 30 * 60_000).toISOString(),
});
/** The intent carries the checkout's 15 minutes; the bank gives 5 to approve. */
const of = makeOpenFinanceCharge({
  transactionId: 'of_1',
  createdAt: new Date(T0).toISOString(),
  expiresAt: new Date(T0 + 15 * 60_000).toISOString(),
});

const loading: State = { screen: { kind: 'loading' }, checkout: null };
const confirming: State = { screen: { kind: 'open_finance', phase: 'confirming', charge: null }, checkout: null };
const form: State = { screen: { kind: 'payer_form' }, checkout: 'open' };
const choice: State = { screen: { kind: 'method_choice' }, checkout: 'open' };
const creating: State = { screen: { kind: 'pix', charge: null }, checkout: 'open' };
const showingPix: State = { screen: { kind: 'pix', charge: pix }, checkout: 'awaiting_payment' };
const intro: State = { screen: { kind: 'open_finance', phase: 'intro', charge: null }, checkout: 'open' };
const waiting: State = { screen: { kind: 'open_finance', phase: 'waiting', charge: of }, checkout: 'awaiting_payment' };
const declined: State = { screen: { kind: 'open_finance', phase: 'declined', charge: of }, checkout: 'expired' };
const paid: State = { screen: { kind: 'result', status: 'paid', openFinance: false }, checkout: 'paid' };
const paidOf: State = { screen: { kind: 'result', status: 'paid', openFinance: true }, checkout: 'paid' };
const expired: State = { screen: { kind: 'result', status: 'expired', openFinance: false }, checkout: 'expired' };
const refunded: State = { screen: { kind: 'result', status: 'refunded', openFinance: false }, checkout: 'refunded' };
const cancelled: State = { screen: { kind: 'result', status: 'cancelled', openFinance: false }, checkout: 'cancelled' };
const failed: State = { screen: { kind: 'error', error: { reason: 'network_error', message: 'x' } }, checkout: null };

const BOTH = ['pix', 'open_finance'] as const;
const session = (over: Parameters<typeof makeSession>[0], extra: { method?: string; payerKnown?: boolean; now?: number } = {}): Action => ({
  type: 'session',
  session: makeSession({ methods: [...BOTH], ...over }),
  method: extra.method ?? '',
  payerKnown: extra.payerKnown ?? false,
  now: extra.now ?? T0,
});
const frame = (status: State['checkout'] & string, activeCharge: typeof pix | typeof of | null = null, now = T0): Action => ({
  type: 'frame',
  frame: { status, activeCharge },
  now,
});

type Row = [name: string, from: State, action: Action, to: State | 'unchanged'];

const ROWS: Row[] = [
  // Loading
  ['a load starts on the loading screen', paid, { type: 'load', returning: false }, loading],
  ['a load back from the bank starts on "confirming"', loading, { type: 'load', returning: true }, confirming],
  // The session answer decides, whatever showed before
  ['open, payer unknown: the form', loading, session({ payerRequired: true }), form],
  ['open, payer known, both methods: the choice', loading, session({ payerRequired: true }, { payerKnown: true }), choice],
  ['open, method="pix": straight to making the code', loading, session({}, { method: 'pix' }), creating],
  ['open, method="open_finance": the Open Finance intro', loading, session({}, { method: 'open_finance' }), intro],
  [
    'open, a method the checkout lacks: an error',
    loading,
    session({ methods: ['pix'] }, { method: 'open_finance' }),
    {
      screen: { kind: 'error', error: { reason: 'unsupported_method', message: 'this checkout does not offer open_finance' } },
      checkout: null,
    },
  ],
  [
    'awaiting with the charge made at checkout creation: the QR at once (one round trip)',
    loading,
    session({ status: 'awaiting_payment', activeCharge: pix }),
    showingPix,
  ],
  [
    'awaiting, past the code expiry: expired, whatever the server has not said yet',
    loading,
    session({ status: 'awaiting_payment', activeCharge: pix }, { now: T0 + 15 * 60_000 }),
    expired,
  ],
  [
    'back from the bank, not approved: waiting, not "confirming"',
    confirming,
    session({ status: 'awaiting_payment', activeCharge: of }),
    waiting,
  ],
  [
    'back from the bank, refused: declined, not expired',
    confirming,
    session({ status: 'expired' }),
    { screen: { kind: 'open_finance', phase: 'declined', charge: null }, checkout: 'expired' },
  ],
  ['back from the bank, approved: the Open Finance receipt', confirming, session({ status: 'paid' }), paidOf],
  ['a PIX checkout that expired: expired', loading, session({ status: 'expired' }), expired],
  ['a paid session replaces any screen (the truth, not a frame)', showingPix, session({ status: 'paid' }), paid],
  // Frames: moves the status machine allows
  ['a frame with the code made elsewhere shows it', creating, frame('awaiting_payment', pix), showingPix],
  ['paid', showingPix, frame('paid'), paid],
  ['paid after Open Finance: its receipt', waiting, frame('paid'), paidOf],
  ['refunded after paid: seen live', paid, frame('refunded'), refunded],
  [
    'refunded keeps the Open Finance flag',
    paidOf,
    frame('refunded'),
    { screen: { kind: 'result', status: 'refunded', openFinance: true }, checkout: 'refunded' },
  ],
  ['expired while showing the code', showingPix, frame('expired'), expired],
  ['the bank refused while waiting: declined', waiting, frame('expired'), declined],
  ['a late payment on an expired code', expired, frame('paid'), paid],
  [
    'a new code made in another tab replaces the shown one',
    showingPix,
    frame('awaiting_payment', pix2),
    { screen: { kind: 'pix', charge: pix2 }, checkout: 'awaiting_payment' },
  ],
  ['cancelled by the store', showingPix, frame('cancelled'), cancelled],
  // Duplicate frames
  ['the same code again (a duplicate, a poll after a frame)', showingPix, frame('awaiting_payment', pix), 'unchanged'],
  ['paid again', paid, frame('paid'), 'unchanged'],
  ['expired again', expired, frame('expired'), 'unchanged'],
  ['the Open Finance payment again', waiting, frame('awaiting_payment', of), 'unchanged'],
  ['declined, then the same expiry again', declined, frame('expired'), 'unchanged'],
  ['still open', form, frame('open'), 'unchanged'],
  [
    'expired again while a new code is being made',
    { screen: { kind: 'pix', charge: null }, checkout: 'expired' },
    frame('expired'),
    'unchanged',
  ],
  // Stale and out-of-order frames: the stale-frame guard
  ['paid, then a stale "awaiting" with a code: stays paid', paid, frame('awaiting_payment', pix2), 'unchanged'],
  ['refunded, then a late "paid": stays refunded', refunded, frame('paid'), 'unchanged'],
  ['refunded, then a late "expired": stays refunded', refunded, frame('expired'), 'unchanged'],
  ['cancelled, then a late "paid": stays cancelled', cancelled, frame('paid'), 'unchanged'],
  ['paid, then a stale "expired": stays paid', paid, frame('expired'), 'unchanged'],
  ['paid via Open Finance, then a stale "awaiting" with the intent: stays paid', paidOf, frame('awaiting_payment', of), 'unchanged'],
  ['awaiting, then a stale "open": stays on the code', showingPix, frame('open'), 'unchanged'],
  // Frames while nothing is on screen to change
  ['a frame during a load changes nothing (the session decides)', loading, frame('paid'), 'unchanged'],
  ['a frame after an error changes nothing', failed, frame('paid'), 'unchanged'],
  // The payer's actions
  ['the payer gives their details: the choice', form, { type: 'payer', methods: [...BOTH], method: '' }, choice],
  ['the payer gives their details, pix only: the code is made', form, { type: 'payer', methods: ['pix'], method: '' }, creating],
  ['the payer picks the QR code', choice, { type: 'choose', method: 'pix' }, creating],
  ['the payer picks Open Finance', choice, { type: 'choose', method: 'open_finance' }, intro],
  [
    'a new code after expiry: made while the checkout is still expired',
    expired,
    { type: 'choose', method: 'pix' },
    { screen: { kind: 'pix', charge: null }, checkout: 'expired' },
  ],
  [
    'declined, then the QR code instead: still declined (nothing expired) while it is made',
    declined,
    { type: 'choose', method: 'pix' },
    { screen: { kind: 'pix', charge: null, declined: true }, checkout: 'expired' },
  ],
  [
    'the QR code after a refusal arrives',
    { screen: { kind: 'pix', charge: null, declined: true }, checkout: 'expired' },
    { type: 'charge', charge: pix, now: T0 },
    showingPix,
  ],
  ['a double click on "new code" makes one', creating, { type: 'choose', method: 'pix' }, 'unchanged'],
  ['nothing to choose once paid', paid, { type: 'choose', method: 'pix' }, 'unchanged'],
  ['the server refuses the payer: back to the form', creating, { type: 'payer_refused' }, form],
  // Answers of POST …/pix and …/open-finance
  ['the code arrives', creating, { type: 'charge', charge: pix, now: T0 }, showingPix],
  ['the Open Finance payment starts: waiting for the approval', intro, { type: 'charge', charge: of, now: T0 }, waiting],
  [
    'retry after a refusal: a new payment',
    declined,
    { type: 'charge', charge: { ...of, transactionId: 'of_2' }, now: T0 },
    {
      screen: { kind: 'open_finance', phase: 'waiting', charge: { ...of, transactionId: 'of_2' } },
      checkout: 'awaiting_payment',
    },
  ],
  ['a code answered after the checkout was paid changes nothing', paid, { type: 'charge', charge: pix, now: T0 }, 'unchanged'],
  // The countdown
  ['the code reaches its expiry: expired', showingPix, { type: 'tick', now: T0 + 15 * 60_000 }, expired],
  ['a tick before the expiry changes nothing', showingPix, { type: 'tick', now: T0 + 15 * 60_000 - 1 }, 'unchanged'],
  ['the 5 minutes to approve run out: declined, not expired', waiting, { type: 'tick', now: T0 + APPROVAL_WINDOW_MS }, declined],
  [
    'a stale "awaiting" with the intent after its 5 minutes: declined',
    waiting,
    frame('awaiting_payment', of, T0 + APPROVAL_WINDOW_MS),
    declined,
  ],
  // Failures
  ['any failure: the error screen', showingPix, { type: 'fail', error: { reason: 'network_error', message: 'x' } }, failed],
];

describe('screen reducer', () => {
  for (const [name, from, action, to] of ROWS) {
    it(name, () => {
      const next = reduce(from, action);
      if (to === 'unchanged') expect(next, 'the very same state').to.equal(from);
      else expect(next).to.deep.equal(to);
    });
  }

  it('tells the page apart: declined is its own status, confirming is loading', () => {
    expect(widgetStatus(declined)).to.equal('declined');
    expect(
      widgetStatus({ screen: { kind: 'pix', charge: null, declined: true }, checkout: 'expired' }),
      'the QR being made after a refusal',
    ).to.equal('declined');
    expect(widgetStatus({ screen: { kind: 'pix', charge: null }, checkout: 'expired' }), 'a new code after an expiry').to.equal('expired');
    expect(widgetStatus(confirming)).to.equal('loading');
    expect(widgetStatus(waiting)).to.equal('awaiting_payment');
    expect(widgetStatus(intro)).to.equal('open');
    expect(widgetStatus(expired)).to.equal('expired');
    expect(widgetStatus(failed)).to.equal('error');
  });

  it("gives an Open Finance payment the bank's 5 minutes, never more than the intent", () => {
    expect(deadline(of)).to.equal(T0 + APPROVAL_WINDOW_MS);
    expect(deadline({ ...of, expiresAt: new Date(T0 + 60_000).toISOString() })).to.equal(T0 + 60_000);
    expect(deadline(pix)).to.equal(T0 + 15 * 60_000);
  });

  it('keys each screen, so focus and announcements move only when it changes', () => {
    expect(screenKey(showingPix)).to.equal(screenKey({ ...showingPix, screen: { kind: 'pix', charge: pix2 } }));
    expect(
      new Set(
        [loading, form, choice, creating, showingPix, intro, confirming, waiting, declined, paid, expired, refunded, failed].map(screenKey),
      ).size,
    ).to.equal(13);
  });
});
