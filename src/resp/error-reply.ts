/*
 * How an error becomes a reply: CommandError, which a handler throws with one of the texts of
 * errors.ts, and what makes a text fit an error line as Redis prints it (arguments cut at a NUL, CR
 * and LF flattened, errno codes in strerror()'s words).
 */

/** Thrown by a command handler to reply with an error; the partial reply (if any) is discarded. */
export class CommandError extends Error {
  constructor(readonly reply: string) {
    super(reply);
  }
}

/**
 * An argument as C's "%s" prints it: cut at its first NUL byte. Redis formats most argument-quoting
 * errors with %s / %.*s of an sds, so a NUL ends the argument there.
 */
export function cstr(s: string): string {
  const z = s.indexOf('\0');
  return z < 0 ? s : s.slice(0, z);
}

/** s cut to n characters at the most. */
export function truncate(s: string, n: number): string {
  return s.length > n ? s.slice(0, n) : s;
}

/**
 * Error replies must be single-line: as Redis's addReplyErrorFormat, CR and LF at either end are
 * trimmed, those inside become spaces.
 */
export function sanitizeErrorText(s: string): string {
  if (s.indexOf('\r') < 0 && s.indexOf('\n') < 0) return s;
  return s.replace(/^[\r\n]+|[\r\n]+$/g, '').replace(/[\r\n]/g, ' ');
}

/** strerror()'s text for the errno codes a file operation may fail with (Redis prints those). */
const ERRNO_TEXTS: Record<string, string> = {
  ENOENT: 'No such file or directory',
  EACCES: 'Permission denied',
  EPERM: 'Operation not permitted',
  EISDIR: 'Is a directory',
  ENOTDIR: 'Not a directory',
  ENOSPC: 'No space left on device',
  EROFS: 'Read-only file system',
  EEXIST: 'File exists',
  ENOTEMPTY: 'Directory not empty',
  EBUSY: 'Device or resource busy',
  EIO: 'Input/output error',
  EMFILE: 'Too many open files',
  ENAMETOOLONG: 'File name too long',
  ELOOP: 'Too many levels of symbolic links',
  EDQUOT: 'Disk quota exceeded',
  EBADF: 'Bad file descriptor',
};

/** A Node.js system error's errno code as strerror() words it, or undefined for another error. */
export function errnoText(e: unknown): string | undefined {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? ERRNO_TEXTS[code] : undefined;
}

/** A Node.js system error as strerror() words it in a reply (never the exception's own message). */
export function strerror(e: unknown): string {
  return errnoText(e) ?? 'Input/output error';
}
