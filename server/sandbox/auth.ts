/**
 * Authentication of the emulated API (docs/connectpsp.md §2): `POST /auth/token` trades clientId +
 * clientSecret for a one-hour HS256 JWT; every other call needs `Authorization: Bearer <jwt>` and
 * `ApplicationToken`; cash-out, rebalance and refund also need `DigitalSignature`.
 */
import { randomBytes, randomUUID } from 'node:crypto';

import type { RequestHandler } from 'express';
import { z } from 'zod';

import { utcIso } from './clock.js';
import type { ConnectPspCredentials } from './defaults.js';
import { SandboxProblem } from './problem.js';
import { hmacSha256, hmacSha256Hex, safeEqual } from './signing.js';
import { parseBody } from './validation.js';

/** What `POST /sandbox/faults` can do to tokens (the `Faults` object implements it). */
export interface TokenFaults {
  /** Bumped by a revocation: every token issued under an earlier generation is refused. */
  readonly generation: number;
  /** Every token is refused, fresh ones too (a credential revoked at the gateway). */
  readonly refuseTokens: boolean;
}

/** The credentials the emulated API accepts. */
export type SandboxCredentials = ConnectPspCredentials;

/** docs/connectpsp.md §2.2: tokens live one hour and there is no refresh token. */
export const TOKEN_LIFETIME_SECONDS = 3600;

const tokenRequestSchema = z.object({
  // Typed as string in the docs even though it is numeric: a JSON number is refused, so a client
  // that sends one finds out here rather than against the real gateway.
  clientId: z.string({ error: 'must be a string' }).min(1, 'is required'),
  clientSecret: z.string({ error: 'must be a string' }).min(1, 'is required'),
});

interface JwtClaims {
  iss: string;
  sub: string;
  iat: number;
  exp: number;
  jti: string;
}

export interface Auth {
  /** `POST /auth/token`. */
  issueToken: RequestHandler;
  /** Bearer JWT + ApplicationToken, on every API call but the token one. */
  requireToken: RequestHandler;
  /** `DigitalSignature`; mount after `requireToken`. */
  requireSignature: RequestHandler;
}

/**
 * The auth middlewares for one sandbox. Tokens are signed with a secret generated here, so they are
 * valid only for this sandbox instance, and a restart invalidates them (clients get a 401 and
 * re-authenticate, which they must handle against the real gateway anyway).
 */
export function createAuth(
  credentials: SandboxCredentials,
  now: () => number,
  tokenFaults: TokenFaults = { generation: 0, refuseTokens: false },
): Auth {
  let jwtSecret = randomBytes(32);
  let generation = tokenFaults.generation;

  const issueToken: RequestHandler = function issueToken(req, res) {
    if (generation !== tokenFaults.generation) {
      generation = tokenFaults.generation;
      jwtSecret = randomBytes(32);
    }
    const { clientId, clientSecret } = parseBody(tokenRequestSchema, req.body);
    // Both compared, always, so the time taken does not tell which one was wrong.
    const idMatches = safeEqual(clientId, credentials.clientId);
    const secretMatches = safeEqual(clientSecret, credentials.clientSecret);
    if (!idMatches || !secretMatches) {
      throw new SandboxProblem('INVALID_CREDENTIALS', 'The clientId or clientSecret is not valid.');
    }
    const issuedAtMs = now();
    const iat = Math.floor(issuedAtMs / 1000);
    const claims: JwtClaims = { iss: 'connectpsp-sandbox', sub: clientId, iat, exp: iat + TOKEN_LIFETIME_SECONDS, jti: randomUUID() };
    res.status(200).json({
      accessToken: signJwt(claims, jwtSecret),
      tokenType: 'Bearer',
      expiresIn: TOKEN_LIFETIME_SECONDS,
      issuedAt: utcIso(issuedAtMs),
    });
  };

  const requireToken: RequestHandler = function requireToken(req, _res, next) {
    const token = bearerToken(req.get('authorization'));
    if (!token) throw new SandboxProblem('INVALID_TOKEN', 'The Authorization header must be "Bearer <accessToken>".');
    // A revocation (`POST /sandbox/faults { tokens: { revoke: true } }`) is a gateway restart that
    // loses its tokens, or a signing-key rotation: every token issued before it stops working and
    // the answer is the same 401 a forged token gets, not TOKEN_EXPIRED.
    if (generation !== tokenFaults.generation) {
      generation = tokenFaults.generation;
      jwtSecret = randomBytes(32);
    }
    const claims = verifyJwt(token, jwtSecret);
    if (!claims || !safeEqual(claims.sub, credentials.clientId) || tokenFaults.refuseTokens) {
      throw new SandboxProblem('INVALID_TOKEN', 'The access token is not valid. Request a new one at POST /auth/token.');
    }
    if (now() / 1000 >= claims.exp) {
      throw new SandboxProblem('TOKEN_EXPIRED', 'The access token has expired. Request a new one at POST /auth/token.');
    }
    const applicationToken = req.get('applicationtoken');
    if (!applicationToken || !safeEqual(applicationToken, credentials.applicationToken)) {
      throw new SandboxProblem('INVALID_APPLICATION_TOKEN', 'The ApplicationToken header is missing or unknown.');
    }
    next();
  };

  const requireSignature: RequestHandler = function requireSignature(req, _res, next) {
    const token = bearerToken(req.get('authorization')) ?? '';
    const signature = req.get('digitalsignature');
    // Lowercase hex only, exactly what the docs' openssl recipe prints: accepting other spellings
    // here could hide a client bug that the real gateway would reject.
    if (!signature || !safeEqual(signature, hmacSha256Hex(credentials.cryptoToken, token))) {
      throw new SandboxProblem(
        'INVALID_SIGNATURE',
        'The DigitalSignature header is missing or wrong. It must be the lowercase hex HMAC-SHA256 of the access token, keyed with the CryptoToken.',
      );
    }
    next();
  };

  return { issueToken, requireToken, requireSignature };
}

function bearerToken(header: string | undefined): string | undefined {
  const match = /^Bearer ([A-Za-z0-9_.-]+)$/.exec(header ?? '');
  return match?.[1];
}

function base64url(data: string | Buffer): string {
  return Buffer.from(data).toString('base64url');
}

const JWT_HEADER = base64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));

function signJwt(claims: JwtClaims, secret: Buffer): string {
  const signingInput = `${JWT_HEADER}.${base64url(JSON.stringify(claims))}`;
  return `${signingInput}.${base64url(hmacSha256(secret, signingInput))}`;
}

/** The claims of a token this sandbox signed, or undefined. Expiry is the caller's check. */
function verifyJwt(token: string, secret: Buffer): JwtClaims | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  const [header, payload, signature] = parts as [string, string, string];
  // Only our own header is accepted, which also rules out `alg: none` and algorithm confusion.
  if (header !== JWT_HEADER) return undefined;
  if (!safeEqual(signature, base64url(hmacSha256(secret, `${header}.${payload}`)))) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Partial<JwtClaims>;
    if (typeof claims.sub !== 'string' || typeof claims.exp !== 'number') return undefined;
    return claims as JwtClaims;
  } catch {
    return undefined;
  }
}
