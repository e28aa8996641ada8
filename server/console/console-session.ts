/**
 * Console sessions without server state, so every instance accepts a session another one opened:
 * the cookie is `<expiry>.<nonce>.<mac>`, the MAC keyed by a key derived from CONSOLE_PASSWORD
 * (changing the password ends every session). The cookie is HttpOnly and SameSite=Strict; every
 * state-changing call also carries `X-CSRF-Token`, a second MAC of the session nonce that the
 * page reads from `GET /console/api/session` (never from the cookie, which script cannot read).
 */
import { createHmac, randomBytes } from 'node:crypto';
import { safeEqual } from '../ids.js';

export const SESSION_COOKIE = 'cpc_console';
export const SESSION_TTL_MS = 8 * 3600_000;

export class ConsoleSessions {
  readonly #key: Buffer;
  constructor(
    readonly password: string,
    readonly now: () => number = Date.now,
  ) {
    this.#key = createHmac('sha256', 'connectpsp-checkout console session key').update(password).digest();
  }

  /** Constant time, whatever the lengths. */
  checkPassword(candidate: string): boolean {
    return safeEqual(candidate, this.password);
  }

  issue(): { cookie: string; csrfToken: string; expiresAt: number } {
    const expiresAt = this.now() + SESSION_TTL_MS;
    const nonce = randomBytes(18).toString('base64url');
    const body = `${expiresAt}.${nonce}`;
    return { cookie: `${body}.${this.#mac(body)}`, csrfToken: this.#mac(`csrf.${nonce}`), expiresAt };
  }

  /** The session's CSRF token when the cookie is ours and unexpired, else undefined. */
  verify(cookie: string | undefined): { csrfToken: string } | undefined {
    const match = /^(\d{1,15})\.([\w-]{24})\.([\w-]{43})$/.exec(cookie ?? '');
    if (!match) return undefined;
    const [, expiry, nonce, mac] = match as unknown as [string, string, string, string];
    if (!safeEqual(mac, this.#mac(`${expiry}.${nonce}`))) return undefined;
    if (Number(expiry) <= this.now()) return undefined;
    return { csrfToken: this.#mac(`csrf.${nonce}`) };
  }

  #mac(text: string): string {
    return createHmac('sha256', this.#key).update(text).digest('base64url');
  }
}

export function readCookie(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return v.join('=');
  }
  return undefined;
}
