/*
 * Every error text a client can see, exactly as redis-server 7 words it (without the leading '-' and
 * trailing CRLF, which the encoder adds): a data table, grouped by area. Fixed texts are constants;
 * texts with a parameter are functions. Handlers throw CommandError(errors.X) and the dispatcher
 * writes it as an error reply (error-reply.ts: CommandError and the helpers that fit a text to an
 * error line, re-exported here). No error string literal belongs anywhere else in the code
 * (test/error-texts.test.ts checks it).
 */

import { cstr, truncate } from './error-reply.js';

export { CommandError, cstr, sanitizeErrorText, strerror } from './error-reply.js';

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
export const OOM = "OOM command not allowed when used memory > 'maxmemory'.";
export const LFU_NOT_SELECTED =
  'ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.';
export const LFU_SELECTED =
  'ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.';
export const READONLY_REPLICA = "READONLY You can't write against a read only replica.";
export const MASTERDOWN = "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.";
export const NOREPLICAS = 'NOREPLICAS Not enough good replicas to write.';
export const LOADING = 'LOADING Redis is loading the dataset in memory';
/** Writes refused after a failed background save (stop-writes-on-bgsave-error). */
export const MISCONF =
  "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. Commands that may modify the data set are disabled, because this instance is configured to report errors during writes if RDB snapshotting fails (stop-writes-on-bgsave-error option). Please check the Redis logs for details about the RDB error.";
/** Writes refused while the AOF cannot be written (the write's error in strerror()'s words). */
export const aofWriteError = (err: string): string => `MISCONF Errors writing to the AOF file: ${err}`;
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
export const COUNT_NEGATIVE = "ERR COUNT can't be negative";
export const MAXLEN_NEGATIVE = "ERR MAXLEN can't be negative";
export const LIMIT_NEGATIVE = "ERR LIMIT can't be negative";
export const WAIT_ON_REPLICA =
  'ERR WAIT cannot be used with replica instances. Please also note that since Redis 4.0 if a replica is configured to be writable (which is not the default) writes to replicas are just local and are not propagated.';
export const HASH_VALUE_NOT_INTEGER = 'ERR hash value is not an integer';
export const HASH_VALUE_NOT_FLOAT = 'ERR hash value is not a float';
export const MIN_MAX_NOT_FLOAT = 'ERR min or max is not a float';
export const MIN_MAX_NOT_STRING_RANGE = 'ERR min or max not valid string range item';
export const INVALID_FIRST_DB_INDEX = 'ERR invalid first DB index';
export const INVALID_SECOND_DB_INDEX = 'ERR invalid second DB index';
export const SSUBSCRIBE_DENY_BLOCKING = "ERR SSUBSCRIBE isn't allowed for a DENY BLOCKING client";

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
 * A reply larger than one reply may be (see replyLimitBytes in src/server/shard-config.ts): not a Redis
 * text (redis-server builds such a reply until memory runs out), worded in its style.
 */
export const REPLY_TOO_LARGE = 'ERR reply too large: exceeds the size limit of one reply (the normal client-output-buffer-limit, or 512mb / proto-max-bulk-len)';

/**
 * A command failed on a bug (an exception that is not a CommandError): the client gets this fixed
 * text, never the exception's message; the exception goes to the log.
 */
export const internalError = (cmd: string): string => `ERR internal error in '${cmd}' (see the server log)`;

export const wrongArity = (cmd: string): string => `ERR wrong number of arguments for '${cmd}' command`;
export const unknownSubcommand = (sub: string, cmd: string): string =>
  `ERR unknown subcommand '${truncate(cstr(sub), 128)}'. Try ${cmd.toUpperCase()} HELP.`;
export const invalidExpireTime = (cmd: string): string => `ERR invalid expire time in '${cmd}' command`;
export const onlyInPubSubContext = (cmd: string): string =>
  `ERR Can't execute '${cmd}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context`;
export const subcommandSyntax = (sub: string, cmd: string): string =>
  `ERR unknown subcommand or wrong number of arguments for '${truncate(cstr(sub), 128)}'. Try ${cmd.toUpperCase()} HELP.`;
export const unknownOption = (opt: string): string => `ERR Unsupported option ${cstr(opt)}`;
export const SLOWLOG_COUNT = 'ERR count should be greater than or equal to -1';
export const noLatencySamples = (event: string): string => `ERR No samples available for event '${cstr(event)}'`;

/**
 * "ERR unknown command 'foo', with args beginning with: 'a' 'b' " as networking.c builds it: the
 * command name and the first arguments, each cut to 128 bytes, the whole list cut to 128 bytes.
 */
export function unknownCommand(name: string, args: readonly string[]): string {
  let list = '';
  for (const a of args) {
    if (list.length >= 128) break;
    list += `'${truncate(cstr(a), 128 - list.length)}' `;
  }
  return `ERR unknown command '${truncate(cstr(name), 128)}', with args beginning with: ${list}`;
}

export const configSetUnknown = (name: string): string =>
  `ERR Unknown option or number of arguments for CONFIG SET - '${cstr(name)}'`;

export const unknownClientType = (type: string): string => `ERR Unknown client type '${cstr(type)}'`;
export const helloSyntax = (opt: string): string => `ERR Syntax error in HELLO option '${cstr(opt)}'`;

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
export const pfdebugUnknown = (sub: string): string => `ERR Unknown PFDEBUG subcommand '${cstr(sub)}'`;
export const pfselftestRegister = (i: number): string => `TESTFAILED Register error at ${i}`;
export const pfselftestHash = (len: number): string => `TESTFAILED hash of ${len} bytes`;
export const pfselftestError = (card: number, abserr: number): string => `TESTFAILED Too big error. card:${card} abserr:${abserr}`;

// GEO (geo.c)
export const GEO_BAD_UNIT = 'ERR unsupported unit provided. please use M, KM, FT, MI';
export const GEO_NEGATIVE_RADIUS = 'ERR radius cannot be negative';
export const GEO_NEGATIVE_BOX = 'ERR height or width cannot be negative';
export const COUNT_NOT_POSITIVE = 'ERR COUNT must be > 0';
export const GEO_ANY_NEEDS_COUNT = 'ERR the ANY argument requires COUNT argument';
export const GEO_MEMBER_UNDECODABLE = 'ERR could not decode requested zset member';
export const GEO_NEED_RADIUS = 'ERR need numeric radius';
export const GEO_NEED_WIDTH = 'ERR need numeric width';
export const GEO_NEED_HEIGHT = 'ERR need numeric height';
export const geoInvalidPair = (lon: string, lat: string): string => `ERR invalid longitude,latitude pair ${lon},${lat}`;
export const geoStoreWithOptions = (what: string): string => `ERR ${what} is not compatible with WITHDIST, WITHHASH and WITHCOORD options`;
export const geoNeedFrom = (cmd: string): string => `ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for ${cmd}`;
export const geoNeedBy = (cmd: string): string => `ERR exactly one of BYRADIUS and BYBOX can be specified for ${cmd}`;
// ---- Lua scripting (EVAL, SCRIPT, redis.* in scripts) ----
export const NO_ARGS = 'ERR Please specify at least one argument for this redis lib call';
export const BAD_ARG_TYPE = 'ERR Lua redis lib command arguments must be strings or integers';
export const UNKNOWN_COMMAND = 'ERR Unknown Redis command called from script';
export const WRONG_ARITY = 'ERR Wrong number of args calling Redis command from script';
export const NOT_ALLOWED = 'ERR This Redis command is not allowed from script';
export const WRITE_IN_RO = 'ERR Write commands are not allowed from read-only scripts.';
export const WRONG_ARGS_OR_TYPE = 'ERR wrong number or type of arguments';
export const WRONG_ARGS = 'ERR wrong number of arguments';
export const LOG_ARGS = 'ERR redis.log() requires two arguments or more.';
export const LOG_LEVEL_NOT_NUMBER = 'ERR First argument must be a number (log level).';
export const LOG_LEVEL = 'ERR Invalid debug level.';
export const SETRESP_ARGS = 'ERR redis.setresp() requires one argument.';
export const SETRESP_VERSION = 'ERR RESP version must be 2 or 3.';
export const SET_REPL_ARGS = 'ERR redis.set_repl() requires two arguments.';
export const SET_REPL_FLAGS = 'ERR Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.';
export const ACL_CHECK_INVALID = 'ERR Invalid command passed to redis.acl_check_cmd()';
// a script's call its user may not run (script.c scriptVerifyACL)
export const SCRIPT_ACL_COMMAND = "ERR The user executing the script can't run this command or subcommand";
export const SCRIPT_ACL_KEY = "ERR The user executing the script can't access at least one of the keys mentioned in the command arguments";
export const SCRIPT_ACL_CHANNEL = "ERR The user executing the script can't publish to the channel mentioned in the command";
export const NOSCRIPT = 'NOSCRIPT No matching script. Please use EVAL.';
export const NOTBUSY = 'NOTBUSY No scripts in execution right now.';
export const UNKILLABLE =
  'UNKILLABLE Sorry the script already executed write commands against the dataset. You can either wait the script termination or kill the server in a hard way using the SHUTDOWN NOSAVE command.';
export const BUSY = 'BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.';
export const SCRIPT_FLUSH_MODE = 'ERR SCRIPT FLUSH only support SYNC|ASYNC option';
export const compileError = (msg: string): string => `ERR Error compiling script (new function): ${msg}`;
export const shebangEngine = (line: string): string => `ERR Unexpected engine in script shebang: ${line}`;
export const shebangFlag = (flag: string): string => `ERR Unexpected flag in script shebang: ${flag}`;
export const BUSY_FUNCTION = 'BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.';
export const RO_WITH_WRITE_FLAG = 'ERR Can not execute a script with write flag using *_ro command.';
/** coroutine.yield from a script's own body (Lua 5.1's words: the script is a plain function call there). */
export const SCRIPT_YIELD_OUTSIDE_COROUTINE = 'attempt to yield across metamethod/C-call boundary';
export const SCRIPT_CALL_IN_COROUTINE = 'ERR redis.call and redis.pcall cannot run inside a coroutine the script created (shardis limitation)';
export const SCRIPT_DEBUG_USAGE = 'ERR Use SCRIPT DEBUG YES/SYNC/NO';
export const SCRIPT_DEBUG_UNSUPPORTED = 'ERR shardis has no Lua debugger (SCRIPT DEBUG YES/SYNC); only NO is accepted';
// ---- streams (t_stream.c) ------------------------------------------------------------------------
export const STREAM_INVALID_ID = 'ERR Invalid stream ID specified as stream command argument';
export const STREAM_MAXLEN_MINID = 'ERR syntax error, MAXLEN and MINID options at the same time are not compatible';
export const STREAM_MAXLEN_NEGATIVE = 'ERR The MAXLEN argument must be >= 0.';
export const STREAM_LIMIT_NEGATIVE = 'ERR The LIMIT argument must be >= 0.';
export const STREAM_LIMIT_NO_STRATEGY = 'ERR syntax error, LIMIT cannot be used without specifying a trimming strategy';
export const STREAM_XTRIM_NO_STRATEGY = 'ERR syntax error, XTRIM must be called with a trimming strategy';
export const STREAM_LIMIT_NO_APPROX = 'ERR syntax error, LIMIT cannot be used without the special ~ option';
export const STREAM_XADD_ZERO_ID = 'ERR The ID specified in XADD must be greater than 0-0';
export const STREAM_EXHAUSTED = 'ERR The stream has exhausted the last possible ID, unable to add more items';
export const STREAM_XADD_ID_SMALL = 'ERR The ID specified in XADD is equal or smaller than the target stream top item';
export const STREAM_TOO_LARGE = 'ERR Elements are too large to be stored';
export const STREAM_INVALID_START = 'ERR invalid start ID for the interval';
export const STREAM_INVALID_END = 'ERR invalid end ID for the interval';
export const STREAM_UNBALANCED = "ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified.";
export const STREAM_GROUP_XREAD = 'ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead.';
export const STREAM_NOACK_XREAD = 'ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead.';
export const STREAM_MISSING_GROUP = 'ERR Missing GROUP option for XREADGROUP';
export const STREAM_DOLLAR_GROUP =
  'ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would just return an empty result set.';
export const STREAM_GT_XREAD = 'ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option.';
export const TIMEOUT_NOT_INTEGER = 'ERR timeout is not an integer or out of range';
export const STREAM_ENTRIESREAD = 'ERR value for ENTRIESREAD must be positive or -1';
export const STREAM_BUSYGROUP = 'BUSYGROUP Consumer Group name already exists';
export const STREAM_XGROUP_NOKEY =
  'ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically.';
export const STREAM_ENTRIES_ADDED_NEG = 'ERR entries_added must be positive';
export const STREAM_XSETID_MAXDEL = 'ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id';
export const STREAM_XSETID_SMALL = 'ERR The ID specified in XSETID is smaller than the target stream top item';
export const STREAM_XSETID_ENTRIES = 'ERR The entries_added specified in XSETID is smaller than the target stream length';
export const STREAM_BLOCKED_GROUP_GONE = 'NOGROUP the consumer group this client was blocked on no longer exists';
export const STREAM_KEY_GONE = 'UNBLOCKED the stream key no longer exists';
export const STREAM_COUNT_TOO_HIGH = 'ERR Insufficient memory, failed allocating transient memory, COUNT too high.';
export const streamNoGroupRead = (key: string, group: string): string =>
  `NOGROUP No such key '${cstr(key)}' or consumer group '${cstr(group)}' in XREADGROUP with GROUP option`;
export const streamNoGroup = (group: string, key: string): string => `NOGROUP No such consumer group '${cstr(group)}' for key name '${cstr(key)}'`;
export const streamNoKeyOrGroup = (key: string, group: string): string => `NOGROUP No such key '${cstr(key)}' or consumer group '${cstr(group)}'`;
export const streamXclaimOption = (opt: string): string => `ERR Unrecognized XCLAIM option '${cstr(opt)}'`;

// CLIENT TRACKING / CLIENT CACHING
export const TRACKING_ONE_REDIRECT = 'ERR A client can only redirect to a single other client';
export const TRACKING_PREFIX_NEEDS_BCAST = 'ERR PREFIX option requires BCAST mode to be enabled';
export const TRACKING_BCAST_SWITCH = "ERR You can't switch BCAST mode on/off before disabling tracking for this client, and then re-enabling it with a different mode.";
export const TRACKING_OPTIN_OPTOUT = "ERR You can't specify both OPTIN mode and OPTOUT mode";
export const TRACKING_OPT_SWITCH = "ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, and then re-enabling it with a different mode.";
export const TRACKING_OPT_BCAST = 'ERR OPTIN and OPTOUT are not compatible with BCAST';
export const TRACKING_NO_REDIRECT_TARGET = 'ERR The client ID you want redirect to does not exist';
export function trackingPrefixOverlap(a: string, b: string): string {
  return `ERR Prefix '${a}' overlaps with an existing prefix '${b}'. Prefixes for a single client must not overlap.`;
}
export function trackingPrefixOverlapProvided(a: string, b: string): string {
  return `ERR Prefix '${a}' overlaps with another provided prefix '${b}'. Prefixes for a single client must not overlap.`;
}
export const CACHING_NOT_TRACKING = 'ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled';
export const CACHING_YES_NEEDS_OPTIN = 'ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.';
export const CACHING_NO_NEEDS_OPTOUT = 'ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.';

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

// ---- command handlers: CONFIG, CLIENT, COMMAND GETKEYS, keys, strings, lists, sorted sets, streams ----
export const NOT_ALLOWED_IN_MULTI = 'ERR Command not allowed inside a transaction';
export const GETKEYS_INVALID_COMMAND = 'ERR Invalid command specified';
export const GETKEYS_NO_KEYS = 'ERR The command has no key arguments';
export const GETKEYS_BAD_ARITY = 'ERR Invalid number of arguments specified for command';
export const GETKEYS_BAD_ARGS = 'ERR Invalid arguments specified for command';
export const configSetFailed = (arg: string, reason: string): string => `ERR CONFIG SET failed (possibly related to argument '${arg}') - ${reason}`;
/** An error text given without its code (config and ACL parsers word theirs so). */
export const errText = (msg: string): string => `ERR ${msg}`;
export const configRewriteFailed = (err: string): string => `ERR Rewriting config file: ${err}`;
export const DEBUG_NOT_ALLOWED =
  'ERR DEBUG command not allowed. If the enable-debug-command option is set to "local", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.';
export const MONITOR_DENY_BLOCKING = "ERR MONITOR isn't allowed for DENY BLOCKING client";
export const debugUnknownSubcommand = (sub: string): string => `ERR unknown subcommand or wrong number of arguments for '${sub}'. Try DEBUG HELP.`;
export const CLIENT_ID_NOT_POSITIVE = 'ERR client-id should be greater than 0';
export const NO_SUCH_CLIENT = 'ERR No such client';
export const CLIENT_NAME_INVALID = 'ERR Client names cannot contain spaces, newlines or special characters.';
export const INVALID_CLIENT_ID = 'ERR Invalid client ID';
export const UNBLOCK_REASON = 'ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR';
export const PAUSE_MODE = 'ERR CLIENT PAUSE mode must be WRITE or ALL';
export const PROTO_VERSION_NOT_INTEGER = 'ERR Protocol version is not an integer or out of range';
export const NOPROTO = 'NOPROTO unsupported protocol version';
export const IMPORT_BAD_PAYLOAD = 'ERR import: bad payload';
export const NO_SNAPSHOT = 'ERR no snapshot in progress';
export const SHIP_BAD_PAYLOAD = 'ERR ship: bad payload';
export const LCS_STRINGS_ONLY = 'ERR The specified keys must contain string values';
export const LCS_LEN_AND_IDX = 'ERR If you want both the length and indexes, please just use IDX.';
export const LCS_TOO_LARGE = 'ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len';
export const LPOS_RANK_ZERO = "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list";
export const ZADD_XX_NX = 'ERR XX and NX options at the same time are not compatible';
export const ZADD_GT_LT_NX = 'ERR GT, LT, and/or NX options at the same time are not compatible';
export const ZADD_INCR_PAIR = 'ERR INCR option supports a single increment-element pair';
export const ZSCORE_NAN = 'ERR resulting score is not a number (NaN)';
export const ZRANGE_LIMIT = 'ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX';
export const ZRANGE_WITHSCORES_BYLEX = 'ERR syntax error, WITHSCORES not supported in combination with BYLEX';
export const zsetNeedsKeys = (cmd: string): string => `ERR at least 1 input key is needed for '${cmd}' command`;
export const WEIGHT_NOT_FLOAT = 'ERR weight value is not a float';
export const EXPIRE_NX_WITH_OTHERS = 'ERR NX and XX, GT or LT options at the same time are not compatible';
export const EXPIRE_GT_LT = 'ERR GT and LT options at the same time are not compatible';
export const RESTORE_IDLETIME = 'ERR Invalid IDLETIME value, must be >= 0';
export const RESTORE_FREQ = 'ERR Invalid FREQ value, must be >= 0 and <= 255';
export const RESTORE_TTL = 'ERR Invalid TTL value, must be >= 0';
export const valueOutOfRangeBetween = (min: bigint | number, max: bigint | number): string => `ERR value is out of range, value must between ${min} and ${max}`;
export const XCLAIM_MIN_IDLE = 'ERR Invalid min-idle-time argument for XCLAIM';
export const XCLAIM_IDLE = 'ERR Invalid IDLE option argument for XCLAIM';
export const XCLAIM_TIME = 'ERR Invalid TIME option argument for XCLAIM';
export const XCLAIM_RETRYCOUNT = 'ERR Invalid RETRYCOUNT option argument for XCLAIM';
export const XAUTOCLAIM_MIN_IDLE = 'ERR Invalid min-idle-time argument for XAUTOCLAIM';
// ---- replication commands (REPLICAOF, WAIT, PSYNC, FAILOVER) ----
export const REPLICAOF_WHILE_FAILOVER = 'ERR REPLICAOF not allowed while failing over.';
export const NOT_VALID_FOR_REPLICA_CLIENT = 'ERR Command is not valid when client is a replica.';
export const INVALID_MASTER_PORT = 'ERR Invalid master port';
export const PSYNC_FAILOVER_TO_MASTER = "ERR PSYNC FAILOVER can't be sent to a master.";
export const PSYNC_FAILOVER_REPLID = 'ERR PSYNC FAILOVER replid must match my replid.';
export const NO_FAILOVER = 'ERR No failover in progress.';
export const FAILOVER_TIMEOUT = 'ERR FAILOVER timeout must be greater than 0';
export const FAILOVER_IN_PROGRESS = 'ERR FAILOVER already in progress.';
export const FAILOVER_ON_REPLICA = 'ERR FAILOVER is not valid when server is a replica.';
export const FAILOVER_NO_REPLICAS = 'ERR FAILOVER requires connected replicas.';
export const FAILOVER_FORCE_ARGS = 'ERR FAILOVER with force option requires both a timeout and target HOST and IP.';
export const FAILOVER_TARGET_UNKNOWN = 'ERR FAILOVER target HOST and PORT is not a replica.';
export const FAILOVER_TARGET_OFFLINE = 'ERR FAILOVER target replica is not online.';
export const replconfUnknownOption = (opt: string): string => `ERR Unrecognized REPLCONF option: ${opt}`;
export const SYNC_WHILE_FAILOVER = "NOMASTERLINK Can't SYNC while failing over";
export const SYNC_WITHOUT_MASTER_LINK = "NOMASTERLINK Can't SYNC while not connected with my master";
// ---- FUNCTION (src/scripting/functions.ts) ----
export const FUNCTION_NO_METADATA = 'ERR Missing library metadata';
export const FUNCTION_BAD_METADATA = 'ERR Invalid library metadata';
export const FUNCTION_NAME_TWICE = 'ERR Invalid metadata value, name argument was given multiple times';
export const functionBadMetadataValue = (v: string): string => `ERR Invalid metadata value given: ${v}`;
export const FUNCTION_NO_LIBRARY_NAME = 'ERR Library name was not given';
export const functionEngineNotFound = (engine: string): string => `ERR Engine '${engine}' not found`;
export const FUNCTION_LIBRARY_NAME_CHARS = 'ERR Library names can only contain letters, numbers, or underscores(_) and must be at least one character long';
export const functionLibraryExists = (name: string): string => `ERR Library '${name}' already exists`;
export const functionCompileError = (msg: string): string => `ERR Error compiling function: ${msg}`;
export const functionRegisterError = (msg: string): string => `ERR Error registering functions: ${msg}`;
export const FUNCTION_NONE_REGISTERED = 'ERR No functions registered';
export const functionExists = (name: string): string => `ERR Function ${name} already exists`;
export const FUNCTION_DUMP_NOT_FUNCTION = 'ERR given type is not a function';
export const FUNCTION_DUMP_INVALID = 'ERR payload is not a valid function dump';
export const FUNCTION_NOT_FOUND = 'ERR Function not found';
/** FCALL's numkeys that is not an integer. */
export const FCALL_BAD_NUMKEYS = 'ERR Bad number of keys provided';
export const functionUnknownOption = (opt: string): string => `ERR Unknown option given: ${opt}`;
export const FUNCTION_CODE_MISSING = 'ERR Function code is missing';
export const FUNCTION_LIBRARY_NOT_FOUND = 'ERR Library not found';
export const FUNCTION_FLUSH_MODE = 'ERR FUNCTION FLUSH only supports SYNC|ASYNC option';
export const FUNCTION_LIST_NO_NAME = 'ERR library name argument was not given';
export const functionUnknownArgument = (arg: string): string => `ERR Unknown argument ${arg}`;
export const FUNCTION_RESTORE_POLICY = 'ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.';
export const SHEBANG_INVALID = 'ERR Invalid script shebang';
export const shebangUnknownOption = (opt: string): string => `ERR Unknown lua shebang option: ${opt}`;
export const SCRIPT_INTERNAL_ERROR = 'ERR internal error while running the script';
/** A redis.call that failed on our side (a bug: the log has the details). */
export const SCRIPT_CALL_INTERNAL_ERROR = 'ERR internal error';
export const SCRIPT_KILLED = 'ERR Script killed by user with SCRIPT KILL...';
/** SORT BY / GET patterns for a user without read access to every key. */
export const SORT_BY_ACL = 'ERR BY option of SORT denied due to insufficient ACL permissions.';
export const SORT_GET_ACL = 'ERR GET option of SORT denied due to insufficient ACL permissions.';
