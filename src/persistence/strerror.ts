/*
 * The C library's texts for the errno codes Node reports (Redis logs and replies with strerror()).
 */

const TEXTS: Record<string, string> = {
  ENOENT: 'No such file or directory',
  EACCES: 'Permission denied',
  EPERM: 'Operation not permitted',
  EISDIR: 'Is a directory',
  ENOTDIR: 'Not a directory',
  ENOSPC: 'No space left on device',
  EROFS: 'Read-only file system',
  EEXIST: 'File exists',
  ENOTEMPTY: 'Directory not empty',
  EIO: 'Input/output error',
  EMFILE: 'Too many open files',
  ENAMETOOLONG: 'File name too long',
  ELOOP: 'Too many levels of symbolic links',
  EDQUOT: 'Disk quota exceeded',
  EBADF: 'Bad file descriptor',
};

export function strerror(e: unknown): string {
  const code = (e as NodeJS.ErrnoException | null)?.code;
  if (code !== undefined && TEXTS[code] !== undefined) return TEXTS[code]!;
  // not a system error (e.g. from the pool): its own words, for the log
  return e instanceof Error && e.message ? e.message : 'Unknown error';
}
