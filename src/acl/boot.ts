/*
 * ACL at startup: `user` lines of the config file, or the users of `aclfile` (not both, as Redis).
 * Returns an error text for a fatal configuration problem, or null.
 */

import type { ServerContext } from '../server/main-ctx.js';
import { loadAclFile } from './commands.js';

export function loadAclAtStartup(s: ServerContext): string | null {
  const lines = s.config.userLines;
  const file = s.config.get('aclfile');
  if (lines.length > 0 && file !== '') {
    return 'Configuring Redis with users defined in redis.conf and at the same setting an ACL file path is invalid. This setup is very likely to lead to configuration errors and security holes, please define either an ACL file or declare users directly in your redis.conf, but not both.';
  }
  for (const argv of lines) {
    const [name, ...rules] = argv;
    if (s.acl.users.has(name!) && name !== 'default') return `Duplicate user '${name}' found`;
    // as Redis: a "user default" line starts from a reset default user (so it shows sanitize-payload)
    const r = s.acl.setUser(name!, name === 'default' ? ['reset', ...rules] : rules);
    if (r.error !== null) return `Error in user declaration '${name}': ${r.error.replace(/^Error in ACL SETUSER modifier '[^']*': /, '')}`;
  }
  if (file !== '') {
    const err = loadAclFile(s, null);
    if (err !== null) return `Aborting Redis startup because of ACL errors: ${err}`;
  }
  return null;
}
