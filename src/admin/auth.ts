/*
 * Admin endpoint credentials. When `requirepass` is set, everything but /health asks for the same
 * password as AUTH: HTTP Basic with user "default" (or any enabled ACL user and its password), or
 * "Authorization: Bearer <password>". A browser that passed Basic gets a session cookie (an HMAC of
 * the password under a per-process key, so it dies with a password change or a restart) that the
 * dashboard's WebSocket handshake carries; `?token=<that value>` works too. Comparisons are made on
 * fixed-length digests in constant time.
 */

import crypto from 'node:crypto';

export const COOKIE = 'shardis_admin';

const KEY = crypto.randomBytes(32);

function digest(s: string): Buffer {
  return crypto.createHash('sha256').update(s, 'utf8').digest();
}

function same(a: string, b: string): boolean {
  return crypto.timingSafeEqual(digest(a), digest(b));
}

/** The session token for a password (what the cookie holds). */
export function sessionToken(pass: string): string {
  return crypto.createHmac('sha256', KEY).update(pass, 'utf8').digest('hex');
}

export interface Credentials {
  authorization: string;
  cookie: string;
  token: string;
}

/**
 * Whether the request's credentials match `pass` (always true when no password is set). HTTP Basic
 * also accepts any ACL user whose password `aclUser` accepts.
 */
export function authorized(pass: string, c: Credentials, aclUser?: (user: string, pass: string) => boolean): boolean {
  if (pass === '') return true;
  const auth = c.authorization.trim();
  const sp = auth.indexOf(' ');
  const scheme = sp > 0 ? auth.slice(0, sp).toLowerCase() : '';
  const value = sp > 0 ? auth.slice(sp + 1).trim() : '';
  if (scheme === 'basic') {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon >= 0 && decoded.slice(0, colon) === 'default' && same(decoded.slice(colon + 1), pass)) return true;
    if (colon >= 0 && aclUser !== undefined && aclUser(decoded.slice(0, colon), decoded.slice(colon + 1))) return true;
  } else if (scheme === 'bearer') {
    if (same(value, pass)) return true;
  }
  const token = sessionToken(pass);
  if (c.token !== '' && same(c.token, token)) return true;
  for (const part of c.cookie.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === COOKIE && same(part.slice(eq + 1).trim(), token)) return true;
  }
  return false;
}
