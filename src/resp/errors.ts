/*
 * Every error text a client can see, exactly as redis-server 7 words it (without the leading '-' and
 * trailing CRLF, which the encoder adds). Fixed texts are constants; texts with a parameter are
 * functions. Handlers throw CommandError(errors.X) and the dispatcher writes it as an error reply.
 * No error string literal belongs anywhere else in the code.
 */

/** Thrown by a command handler to reply with an error; the partial reply (if any) is discarded. */
export class CommandError extends Error {
  constructor(readonly reply: string) {
    super(reply);
  }
}

export const WRONGTYPE = 'WRONGTYPE Operation against a key holding the wrong kind of value';
export const SYNTAX = 'ERR syntax error';
export const NO_SUCH_KEY = 'ERR no such key';
export const NOT_INTEGER = 'ERR value is not an integer or out of range';
export const NOT_FLOAT = 'ERR value is not a valid float';
export const NAN_OR_INF = 'ERR value is NaN or Infinity';
export const INCR_NAN_OR_INF = 'ERR increment would produce NaN or Infinity';
export const OVERFLOW = 'ERR increment or decrement would overflow';
export const DECR_OVERFLOW = 'ERR decrement would overflow';
export const OUT_OF_RANGE = 'ERR index out of range';
export const OFFSET_OUT_OF_RANGE = 'ERR offset is out of range';
export const VALUE_OUT_OF_RANGE = 'ERR value is out of range';
export const VALUE_OUT_OF_RANGE_POSITIVE = 'ERR value is out of range, must be positive';
export const DB_INDEX_OUT_OF_RANGE = 'ERR DB index is out of range';
export const INVALID_DB_INDEX = 'ERR invalid DB index';
export const STRING_TOO_LONG = 'ERR string exceeds maximum allowed size (proto-max-bulk-len)';
export const SAME_OBJECT = 'ERR source and destination objects are the same';
export const BUSYKEY = 'BUSYKEY Target key name already exists.';
export const NOAUTH = 'NOAUTH Authentication required.';
export const HELLO_NOAUTH =
  'NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time';
/** getIntFromObjectOrReply's error for a long long outside the int range. */
export const INT_OUT_OF_RANGE = 'ERR value is out of range, value must between -2147483648 and 2147483647';
export const WRONGPASS = 'WRONGPASS invalid username-password pair or user is disabled.';
export const AUTH_NOT_CONFIGURED =
  'ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?';
export const UNBLOCKED = 'UNBLOCKED client unblocked via CLIENT UNBLOCK';
export const EXECABORT = 'EXECABORT Transaction discarded because of previous errors.';
export const MULTI_NESTED = 'ERR MULTI calls can not be nested';
export const EXEC_WITHOUT_MULTI = 'ERR EXEC without MULTI';
export const DISCARD_WITHOUT_MULTI = 'ERR DISCARD without MULTI';
export const WATCH_IN_MULTI = 'ERR WATCH inside MULTI is not allowed';
export const READONLY_REPLICA = "READONLY You can't write against a read only replica.";
export const MASTERDOWN = "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.";
export const NOREPLICAS = 'NOREPLICAS Not enough good replicas to write.';
export const LOADING = 'LOADING Redis is loading the dataset in memory';
export const MAX_CLIENTS = 'ERR max number of clients reached';
export const TIMEOUT_NOT_FLOAT = 'ERR timeout is not a float or out of range';
export const TIMEOUT_NEGATIVE = 'ERR timeout is negative';
export const TIMEOUT_OUT_OF_RANGE = 'ERR timeout is out of range';
export const INVALID_CURSOR = 'ERR invalid cursor';
export const DUMP_PAYLOAD = 'ERR DUMP payload version or checksum are wrong';
export const BAD_DUMP_PAYLOAD = 'ERR Bad data format';
export const NUMKEYS_GT_ARGS = "ERR Number of keys can't be greater than number of args";
export const NUMKEYS_NEGATIVE = "ERR Number of keys can't be negative";
export const NUMKEYS_POSITIVE = 'ERR numkeys should be greater than 0';
export const COUNT_POSITIVE = 'ERR count should be greater than 0';
export const NO_KEYS_IN_COMMAND = 'ERR The command has no key arguments';
export const INVALID_ARGS_FOR_GETKEYS = 'ERR Invalid arguments specified for command';
export const WAIT_ON_REPLICA =
  'ERR WAIT cannot be used with replica instances. Please also note that since Redis 4.0 if a replica is configured to be writable (which is not the default) writes to replicas are just local and are not propagated.';
export const HASH_VALUE_NOT_INTEGER = 'ERR hash value is not an integer';
export const HASH_VALUE_NOT_FLOAT = 'ERR hash value is not a float';
export const MIN_MAX_NOT_FLOAT = 'ERR min or max is not a float';
export const MIN_MAX_NOT_STRING_RANGE = 'ERR min or max not valid string range item';
export const INVALID_FIRST_DB_INDEX = 'ERR invalid first DB index';
export const INVALID_SECOND_DB_INDEX = 'ERR invalid second DB index';
export const SSUBSCRIBE_DENY_BLOCKING = "ERR SSUBSCRIBE isn't allowed for a DENY BLOCKING client";
export const ONLY_PUBSUB_CONTEXT_RESP2 =
  "ERR Can't execute '%s': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context";

export const PROTOCOL_INVALID_MULTIBULK = 'ERR Protocol error: invalid multibulk length';
export const PROTOCOL_INVALID_BULK = 'ERR Protocol error: invalid bulk length';
export const PROTOCOL_BIG_MBULK = 'ERR Protocol error: too big mbulk count string';
export const PROTOCOL_BIG_BULK = 'ERR Protocol error: too big bulk count string';
export const PROTOCOL_BIG_INLINE = 'ERR Protocol error: too big inline request';
export const PROTOCOL_UNBALANCED_QUOTES = 'ERR Protocol error: unbalanced quotes in request';
export const PROTOCOL_UNAUTH_MBULK = 'ERR Protocol error: unauthenticated multibulk length';
export const PROTOCOL_UNAUTH_BULK = 'ERR Protocol error: unauthenticated bulk length';
export const protocolExpectedDollar = (got: string): string => `ERR Protocol error: expected '$', got '${got}'`;

/**
 * A reply larger than one reply may be (see replyLimitBytes in src/server/server.ts): not a Redis
 * text (redis-server builds such a reply until memory runs out), worded in its style.
 */
export const REPLY_TOO_LARGE = 'ERR reply too large: exceeds the size limit of one reply (the normal client-output-buffer-limit, or 512mb / proto-max-bulk-len)';

/**
 * A command failed on a bug (an exception that is not a CommandError): the client gets this fixed
 * text, never the exception's message; the exception goes to the log.
 */
export const internalError = (cmd: string): string => `ERR internal error in '${cmd}' (see the server log)`;

/** strerror()'s text for the errno codes a file operation may fail with (Redis prints those). */
const STRERROR: Record<string, string> = {
  EACCES: 'Permission denied',
  EPERM: 'Operation not permitted',
  ENOENT: 'No such file or directory',
  EISDIR: 'Is a directory',
  ENOTDIR: 'Not a directory',
  EROFS: 'Read-only file system',
  ENOSPC: 'No space left on device',
  EDQUOT: 'Disk quota exceeded',
  EEXIST: 'File exists',
  EBUSY: 'Device or resource busy',
  EMFILE: 'Too many open files',
  ENAMETOOLONG: 'File name too long',
  EIO: 'Input/output error',
};

/** A Node.js system error as strerror() words it (never the exception's own message). */
export function strerror(e: unknown): string {
  const code = (e as { code?: unknown } | null)?.code;
  return (typeof code === 'string' && STRERROR[code]) || 'Input/output error';
}

export const wrongArity = (cmd: string): string => `ERR wrong number of arguments for '${cmd}' command`;
export const unknownSubcommand = (sub: string, cmd: string): string =>
  `ERR unknown subcommand '${truncate(sub, 128)}'. Try ${cmd.toUpperCase()} HELP.`;
export const invalidExpireTime = (cmd: string): string => `ERR invalid expire time in '${cmd}' command`;
export const onlyInPubSubContext = (cmd: string): string => ONLY_PUBSUB_CONTEXT_RESP2.replace('%s', cmd);
export const subcommandSyntax = (sub: string, cmd: string): string =>
  `ERR unknown subcommand or wrong number of arguments for '${truncate(sub, 128)}'. Try ${cmd.toUpperCase()} HELP.`;
export const unknownOption = (opt: string): string => `ERR Unsupported option ${opt}`;
export const SLOWLOG_COUNT = 'ERR count should be greater than or equal to -1';
export const noLatencySamples = (event: string): string => `ERR No samples available for event '${event}'`;

/**
 * "ERR unknown command 'foo', with args beginning with: 'a' 'b' " as networking.c builds it: the
 * command name and the first arguments, each cut to 128 bytes, the whole list cut to 128 bytes.
 */
export function unknownCommand(name: string, args: readonly string[]): string {
  let list = '';
  for (const a of args) {
    if (list.length >= 128) break;
    list += `'${truncate(a, 128 - list.length)}' `;
  }
  return `ERR unknown command '${truncate(name, 128)}', with args beginning with: ${list}`;
}

function truncate(s: string, n: number): string {
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

/** EXEC refused before it runs (Redis: rejectCommand -> execCommandAbort): the reason after EXECABORT. */
export function execAbort(reason: string): string {
  return `EXECABORT Transaction discarded because of: ${reason.startsWith('ERR ') ? reason.slice(4) : reason}`;
}

// ---- the admin endpoint (HTTP/WebSocket bodies, not RESP replies) -------------------------------

export const ADMIN_BAD_REQUEST = 'bad request';
export const ADMIN_UNAUTHORIZED = 'authentication required: HTTP Basic with user "default" and the requirepass password, or "Authorization: Bearer <password>"';
export const ADMIN_NOT_FOUND = 'not found: try /, /metrics, /health, /info, /info.json or the WebSocket /ws';
export const ADMIN_INTERNAL = 'internal error';
export function adminUnknownRequest(verb: string): string {
  return `unknown request '${truncate(verb, 64)}': send INFO [section ...], SUBSCRIBE dashboard or PING`;
}

// bitmaps (bitops.c)
export const BIT_OFFSET_INVALID = 'ERR bit offset is not an integer or out of range';
export const BIT_VALUE_INVALID = 'ERR bit is not an integer or out of range';
export const BITPOS_BIT_INVALID = 'ERR The bit argument must be 1 or 0.';
export const BITOP_NOT_ONE_KEY = 'ERR BITOP NOT must be called with a single source key.';
export const BITFIELD_TYPE_INVALID = 'ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.';
export const BITFIELD_OVERFLOW_INVALID = 'ERR Invalid OVERFLOW type specified';
export const BITFIELD_RO_GET_ONLY = 'ERR BITFIELD_RO only supports the GET subcommand';

// SORT (sort.c)
export const SORT_SCORE_NOT_DOUBLE = "ERR One or more scores can't be converted into double";

// HyperLogLog (hyperloglog.c)
export const HLL_INVALID = 'WRONGTYPE Key is not a valid HyperLogLog string value.';
export const HLL_CORRUPTED = 'INVALIDOBJ Corrupted HLL object detected';
export const PFDEBUG_NO_KEY = 'ERR The specified key does not exist';
export const PFDEBUG_NOT_SPARSE = 'ERR HLL encoding is not sparse';
export const pfdebugUnknown = (sub: string): string => `ERR Unknown PFDEBUG subcommand '${sub}'`;

// GEO (geo.c)
export const GEO_BAD_UNIT = 'ERR unsupported unit provided. please use M, KM, FT, MI';
export const GEO_NEGATIVE_RADIUS = 'ERR radius cannot be negative';
export const GEO_NEGATIVE_BOX = 'ERR height or width cannot be negative';
export const GEO_COUNT_NOT_POSITIVE = 'ERR COUNT must be > 0';
export const GEO_ANY_NEEDS_COUNT = 'ERR the ANY argument requires COUNT argument';
export const GEO_MEMBER_UNDECODABLE = 'ERR could not decode requested zset member';
export const GEO_NEED_RADIUS = 'ERR need numeric radius';
export const GEO_NEED_WIDTH = 'ERR need numeric width';
export const GEO_NEED_HEIGHT = 'ERR need numeric height';
export const geoInvalidPair = (lon: string, lat: string): string => `ERR invalid longitude,latitude pair ${lon},${lat}`;
export const geoStoreWithOptions = (what: string): string => `ERR ${what} is not compatible with WITHDIST, WITHHASH and WITHCOORD options`;
export const geoNeedFrom = (cmd: string): string => `ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for ${cmd}`;
export const geoNeedBy = (cmd: string): string => `ERR exactly one of BYRADIUS and BYBOX can be specified for ${cmd}`;

// ---- ACL (src/acl/) ----
export const noPermCommand = (name: string): string => `NOPERM this user has no permissions to run the '${name}' command`;
export const NOPERM_KEY = 'NOPERM this user has no permissions to access one of the keys used as arguments';
export const NOPERM_CHANNEL = 'NOPERM this user has no permissions to access one of the channels used as arguments';
export const noPermExec = (reason: string): string =>
  `NOPERM ACLs rules changed between the moment the transaction was accumulated and the EXEC call. This command is no longer allowed for the following reason: ${reason}`;
export const ACL_DEFAULT_UNDELETABLE = "ERR The 'default' user cannot be removed";
export const ACL_USERNAME_SPACES = "ERR Usernames can't contain spaces or null characters";
export const ACL_NO_FILE =
  'ERR This Redis instance is not configured to use an ACL file. You may want to specify users via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming you have a Redis configuration file set) in order to store users in the Redis configuration.';
export const ACL_SAVE_FAILED = 'ERR There was an error trying to save the ACLs. Please check the server logs for more information';
export const ACL_GENPASS_BITS = 'ERR ACL GENPASS argument must be the number of bits for the output password, a positive number up to 4096';
export const aclUnknownCategory = (c: string): string => `ERR Unknown category '${c.slice(0, 128)}'`;
export const aclUserNotFound = (u: string): string => `ERR User '${u}' not found`;
export const aclCommandNotFound = (c: string): string => `ERR Command '${c}' not found`;
export const noSuchUser = (u: string): string => `ERR No such user '${u}'`;
