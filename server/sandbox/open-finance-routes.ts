/**
 * The sandbox bank journey behind an Open Finance `paymentUrl` (`{publicUrl}/open-finance/:id`),
 * mounted by sandbox.ts under `/open-finance`:
 *
 * | route | does |
 * |---|---|
 * | `GET /:id` | bank picker (amount, recipient, institutions with logos); ended → what happened + link back |
 * | `GET /:id/consent?bank=<id>` | consent screen; the first one starts the 5-minute window |
 * | `POST /:id/approve` (form: `bank`) | within the window: PAID + CASHIN_PAID, then 303 to the redirect URL |
 * | `POST /:id/reject` | CANCELLED, then 303 to the redirect URL |
 * | `POST /:id/timeout` | control (JSON): ends the consent window now → CANCELLED |
 * | `GET /logos/:id.svg`, `GET /assets/bank.css`, `GET /assets/countdown.js` | the pages' own files |
 *
 * The redirect back is the stored `redirectUrl`, exactly as the merchant gave it. The docs do not
 * say what ConnectPSP appends on the way back (docs/connectpsp.md §3.1, §8), and Open Finance's own
 * `code`/`state` go to the initiator, not to the merchant (docs/protocols.md §2.1). So no status
 * parameter is invented here: a merchant page must not come to rely on one the real gateway may
 * never send. It learns the outcome from its server (session refresh, SSE), which asks ConnectPSP.
 */
import express, { Router, type ErrorRequestHandler, type Request, type Response } from 'express';

import { findInstitution, SANDBOX_INSTITUTIONS, bankLogoSvg, type SandboxInstitution } from './bank-logos.js';
import { cashInView } from './cash-in.js';
import { brasiliaIso } from './clock.js';
import { consentView, type OpenFinanceCashIn, type OpenFinanceJourney } from './open-finance-journey.js';
import { COUNTDOWN_SCRIPT, consentPage, errorPage, journeyPaths, outcomePage, pickerPage, STYLESHEET } from './open-finance-pages.js';
import { SandboxProblem, sendProblem } from './problem.js';

export interface OpenFinanceRoutesOptions {
  journey: OpenFinanceJourney;
  /** The recipient shown to the payer: the sandbox's configured merchant name, as written. */
  merchantName: string;
  /** The sandbox's public URL (`http://host:port/sandbox`); links in the pages are built from its path. */
  publicUrl: string;
  now: () => number;
}

export function openFinanceRoutes(options: OpenFinanceRoutesOptions): Router {
  const { journey, merchantName, now } = options;
  // Path-absolute links from the path payers reach (the one `paymentUrl` carries), so the pages
  // stay right behind a proxy and whatever the trailing slash of the address bar.
  const base = `${new URL(options.publicUrl).pathname.replace(/\/+$/, '')}/open-finance`;
  const form = express.urlencoded({ extended: false, limit: '2kb', parameterLimit: 10 });
  const router = Router();

  router.get('/assets/bank.css', (_req, res) => {
    res
      .set({ 'Content-Type': 'text/css; charset=utf-8', 'Cache-Control': 'public, max-age=3600', 'X-Content-Type-Options': 'nosniff' })
      .send(STYLESHEET);
  });

  router.get('/assets/countdown.js', (_req, res) => {
    res
      .set({
        'Content-Type': 'text/javascript; charset=utf-8',
        'Cache-Control': 'public, max-age=3600',
        'X-Content-Type-Options': 'nosniff',
      })
      .send(COUNTDOWN_SCRIPT);
  });

  router.get('/logos/:file', (req, res) => {
    const match = /^([a-z0-9-]+)\.svg$/.exec(req.params.file);
    const institution = match ? findInstitution(match[1]) : undefined;
    if (!institution) {
      res.status(404).type('text/plain').send('No such logo.\n');
      return;
    }
    res
      .set({
        'Content-Type': 'image/svg+xml; charset=utf-8',
        'Cache-Control': 'public, max-age=86400',
        'X-Content-Type-Options': 'nosniff',
        // Opened on its own, an SVG is a document: let nothing in it run or load.
        'Content-Security-Policy': "default-src 'none'; frame-ancestors 'none'",
      })
      .send(bankLogoSvg(institution));
  });

  router.get('/:transactionId', (req, res) => {
    const record = journey.find(req.params.transactionId);
    if (!record) return notFound(res);
    const state = journey.state(record);
    if (state.kind !== 'open') return sendPage(res, 200, outcomePage({ ...outcomeInput(record), state }), record);
    const consent = record.openFinance.consent;
    sendPage(
      res,
      200,
      pickerPage({
        ...summary(record),
        base,
        institutions: SANDBOX_INSTITUTIONS,
        redirectUrl: record.openFinance.redirectUrl,
        selected: consent?.bankId,
        window: consent ? windowOf(record) : undefined,
      }),
      record,
    );
  });

  router.get('/:transactionId/consent', (req, res) => {
    const record = journey.find(req.params.transactionId);
    if (!record) return notFound(res);
    const state = journey.state(record);
    if (state.kind !== 'open') return sendPage(res, 200, outcomePage({ ...outcomeInput(record), state }), record);
    const institution = findInstitution(req.query.bank);
    if (!institution) return badBank(res, record);
    journey.openConsent(record, institution);
    const window = windowOf(record);
    sendPage(res, 200, consentPage({ ...summary(record), base, institution, paymentDateMs: now(), ...window }), record);
  });

  router.post('/:transactionId/approve', refuseCrossSite, form, (req, res) => {
    const record = journey.find(transactionIdOf(req));
    if (!record) return notFound(res);
    // The form names the bank; without it, the one the consent screen was shown for.
    const institution = findInstitution(formField(req, 'bank') ?? record.openFinance.consent?.bankId);
    if (!institution) return badBank(res, record);
    const outcome = journey.approve(record, institution);
    switch (outcome.kind) {
      case 'approved':
      case 'already_paid':
        // Approving twice (a double click, a resubmitted form) pays once and goes back the same way.
        return redirectBack(res, record);
      case 'no_consent':
        return sendPage(
          res,
          409,
          errorPage({
            base,
            title: 'Autorização não iniciada',
            text: 'Este pagamento ainda não foi revisado na instituição. Escolha a instituição e confira os dados antes de autorizar.',
            link: { href: journeyPaths(base, record.transactionId).picker, label: 'Escolher instituição' },
          }),
          record,
        );
      case 'refused':
        // Too late (or refused before): "the consent timed out", with the way back to the store.
        return sendPage(res, 409, outcomePage({ ...outcomeInput(record, institution), state: outcome.state }), record);
    }
  });

  router.post('/:transactionId/reject', refuseCrossSite, form, (req, res) => {
    const record = journey.find(transactionIdOf(req));
    if (!record) return notFound(res);
    const state = journey.reject(record);
    // Money already moved cannot be refused: say so instead of sending the payer off silently.
    if (state.kind === 'paid') return sendPage(res, 409, outcomePage({ ...outcomeInput(record), state }), record);
    redirectBack(res, record);
  });

  // Sandbox control (tests, the demo): JSON like the other control routes, no form, no credentials.
  router.post('/:transactionId/timeout', (req, res) => {
    const record = journey.find(req.params.transactionId);
    if (!record) {
      return sendProblem(
        res,
        new SandboxProblem('CASH_IN_NOT_FOUND', `No Open Finance cash-in with id "${req.params.transactionId}".`).toBody(),
      );
    }
    try {
      const ended = journey.timeout(record);
      res.json({ ...cashInView(ended), consent: consentView(ended, brasiliaIso) });
    } catch (error) {
      if (error instanceof SandboxProblem) return sendProblem(res, error.toBody());
      throw error;
    }
  });

  router.use(htmlErrors);
  return router;

  function summary(record: OpenFinanceCashIn) {
    return {
      transactionId: record.transactionId,
      amount: record.amount,
      merchantName,
      payer: { name: record.payer.name, document: record.payer.document },
    };
  }

  function outcomeInput(record: OpenFinanceCashIn, institution?: SandboxInstitution) {
    return {
      base,
      redirectUrl: record.openFinance.redirectUrl,
      amount: record.amount,
      merchantName,
      endToEndId: record.status === 'REFUNDED' ? record.originalEndToEndId : record.endToEndId,
      institution: institution ?? findInstitution(record.openFinance.consent?.bankId),
    };
  }

  function windowOf(record: OpenFinanceCashIn) {
    const deadlineMs = journey.deadline(record, record.openFinance.consent!);
    return { remainingMs: deadlineMs - now(), deadlineMs };
  }

  function notFound(res: Response): void {
    sendPage(
      res,
      404,
      errorPage({
        base,
        title: 'Pagamento não encontrado',
        text: 'Este link de pagamento não existe neste sandbox, ou não é um pagamento via Open Finance. Volte para a loja e comece de novo.',
      }),
    );
  }

  function badBank(res: Response, record: OpenFinanceCashIn): void {
    const consent = record.openFinance.consent;
    sendPage(
      res,
      400,
      pickerPage({
        ...summary(record),
        base,
        institutions: SANDBOX_INSTITUTIONS,
        redirectUrl: record.openFinance.redirectUrl,
        error: 'Escolha uma das instituições da lista para continuar.',
        window: consent ? windowOf(record) : undefined,
      }),
      record,
    );
  }

  function redirectBack(res: Response, record: OpenFinanceCashIn): void {
    res.set({ 'Cache-Control': 'no-store', 'Referrer-Policy': 'no-referrer' });
    res.redirect(303, record.openFinance.redirectUrl);
  }

  /** Body-parser failures and anything unexpected, as a page rather than JSON. */
  // Four declared parameters: Express recognises an error handler by its arity.
  function htmlErrors(
    error: Parameters<ErrorRequestHandler>[0],
    _req: Parameters<ErrorRequestHandler>[1],
    res: Parameters<ErrorRequestHandler>[2],
    next: Parameters<ErrorRequestHandler>[3],
  ): void {
    if (res.headersSent) return next(error);
    const type = typeof error === 'object' && error !== null ? (error as { type?: unknown }).type : undefined;
    if (type === 'entity.too.large' || type === 'entity.parse.failed' || type === 'parameters.too.many') {
      return sendPage(
        res,
        400,
        errorPage({ base, title: 'Pedido inválido', text: 'O formulário enviado não pôde ser lido. Volte e tente de novo.' }),
      );
    }
    console.error('[sandbox] unexpected error in the Open Finance journey', error);
    sendPage(
      res,
      500,
      errorPage({ base, title: 'Erro no banco sandbox', text: 'Algo deu errado do nosso lado. Tente de novo em instantes.' }),
    );
  }
}

/**
 * Sends a page with its security headers. The CSP allows nothing but the sandbox's own stylesheet,
 * logos and script; forms may post to the sandbox and, because approve and reject answer with a
 * 303 there, to the merchant's redirect origin (browsers check `form-action` on the redirect too).
 * No framing: an approval button must never sit under someone else's page.
 */
function sendPage(res: Response, status: number, html: string, record?: OpenFinanceCashIn): void {
  const redirectOrigin = record ? originOf(record.openFinance.redirectUrl) : null;
  res
    .status(status)
    .set({
      'Content-Type': 'text/html; charset=utf-8',
      'Content-Security-Policy': [
        "default-src 'none'",
        "style-src 'self'",
        "img-src 'self'",
        "script-src 'self'",
        `form-action 'self'${redirectOrigin ? ` ${redirectOrigin}` : ''}`,
        "frame-ancestors 'none'",
        "base-uri 'none'",
      ].join('; '),
      'Cache-Control': 'no-store',
      // The transaction id is in the URL: keep it out of Referer headers.
      'Referrer-Policy': 'no-referrer',
      'X-Content-Type-Options': 'nosniff',
    })
    .send(html);
}

/** `https://shop.example` for an http(s) URL; null otherwise (then only 'self' is allowed). */
function originOf(url: string): string | null {
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'http:' || parsed.protocol === 'https:' ? parsed.origin : null;
  } catch {
    return null;
  }
}

/** The `:transactionId` path segment (typed loosely by Express when middleware precedes the handler). */
function transactionIdOf(req: Request): string {
  const value: unknown = req.params.transactionId;
  return typeof value === 'string' ? value : '';
}

function formField(req: Request, name: string): string | undefined {
  const value = (req.body as Record<string, unknown> | undefined)?.[name];
  return typeof value === 'string' ? value : undefined;
}

/**
 * Approve and reject are state changes a third-party page could try to trigger with a hidden form.
 * Browsers say where a request comes from in `Sec-Fetch-Site`; a cross-site one is refused. Clients
 * that do not send the header (tests, curl) are let through: this is a sandbox, not a bank.
 */
function refuseCrossSite(req: Request, res: Response, next: () => void): void {
  if (req.get('sec-fetch-site') === 'cross-site') {
    res
      .status(403)
      .set({ 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' })
      .send('Cross-site form submissions are refused.\n');
    return;
  }
  next();
}
