/**
 * The largest request header block the admin endpoint reads. uWebSockets.js (v20.51) takes it from the
 * environment variable UWS_HTTP_MAX_HEADERS_SIZE once, when its binary loads, and answers anything larger
 * with 431 Request Header Fields Too Large; unset, it is 4 KB. A browser sends every cookie of the host to
 * the admin port as well (cookies are per host, not per port), so 4 KB could shut a developer's browser out
 * of the dashboard: the endpoint reads up to 16 KB, Node's own http limit, unless the operator set the
 * variable. admin.ts imports this module before uWebSockets.js, so it runs first.
 */
export const ADMIN_MAX_HEADER_BYTES = 16 * 1024;
process.env.UWS_HTTP_MAX_HEADERS_SIZE ??= String(ADMIN_MAX_HEADER_BYTES);
