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
export const WRONGPASS = 'WRONGPASS invalid username-password pair or user is disabled.';
export const AUTH_NOT_CONFIGURED =
  'ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?';
export const EXECABORT = 'EXECABORT Transaction discarded because of previous errors.';
export const MULTI_NESTED = 'ERR MULTI calls can not be nested';
export const EXEC_WITHOUT_MULTI = 'ERR EXEC without MULTI';
export const DISCARD_WITHOUT_MULTI = 'ERR DISCARD without MULTI';
export const WATCH_IN_MULTI = 'ERR WATCH inside MULTI is not allowed';
export const READONLY_REPLICA = "READONLY You can't write against a read only replica.";
export const MASTERDOWN = "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.";
export const NOREPLICAS = 'NOREPLICAS Not enough good replicas to write.';
export const LOADING = 'LOADING Redis is loading the dataset in memory';
/** Writes refused after a failed background save (stop-writes-on-bgsave-error). */
export const MISCONF =
  "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. Commands that may modify the data set are disabled, because this instance is configured to report errors during writes if RDB snapshotting fails (stop-writes-on-bgsave-error option). Please check the Redis logs for details about the RDB error.";
export const BGSAVE_IN_PROGRESS = 'ERR Background save already in progress';
export const BGSAVE_OTHER_CHILD = "ERR Another child process is active (AOF?): can't BGSAVE right now. Use BGSAVE SCHEDULE in order to schedule a BGSAVE whenever possible";
export const AOF_REWRITE_IN_PROGRESS = 'ERR Background append only file rewriting already in progress';
export const SHUTDOWN_ERRORS = 'ERR Errors trying to SHUTDOWN. Check logs.';
export const NO_SHUTDOWN_IN_PROGRESS = 'ERR No shutdown in progress.';
export const RELOAD_FAILED = 'ERR Error trying to load the RDB dump, check server logs.';
/** SAVE failed (Redis's shared.err). */
export const SAVE_FAILED = 'ERR';
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

export const wrongArity = (cmd: string): string => `ERR wrong number of arguments for '${cmd}' command`;
export const unknownSubcommand = (sub: string, cmd: string): string =>
  `ERR unknown subcommand '${truncate(sub, 128)}'. Try ${cmd.toUpperCase()} HELP.`;
export const invalidExpireTime = (cmd: string): string => `ERR invalid expire time in '${cmd}' command`;
export const onlyInPubSubContext = (cmd: string): string => ONLY_PUBSUB_CONTEXT_RESP2.replace('%s', cmd);
export const subcommandSyntax = (sub: string, cmd: string): string =>
  `ERR unknown subcommand or wrong number of arguments for '${truncate(sub, 128)}'. Try ${cmd.toUpperCase()} HELP.`;
export const unknownOption = (opt: string): string => `ERR Unsupported option ${opt}`;

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

/** Error replies must be single-line: Redis replaces CR and LF with spaces. */
export function sanitizeErrorText(s: string): string {
  return s.replace(/[\r\n]/g, ' ');
}
