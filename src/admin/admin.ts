/*
 * The admin endpoint (uWebSockets.js, on the main thread's event loop), off unless `admin-port` is set;
 * it listens on `admin-bind` (default: the first `bind` address). What monitoring and people want
 * without speaking RESP:
 *
 *   GET /                the live dashboard (dashboard.ts), its /dashboard.js and /dashboard.css
 *   GET /metrics         Prometheus text format 0.0.4 (metrics.ts)
 *   GET /health          200 {"status":"ok",...} while serving; 503 while a replica loads its master's
 *                        data, or while its master link is down with replica-serve-stale-data no
 *   GET /info[?s1,s2]    INFO as redis-server prints it (text/plain), sections as the INFO command takes
 *   GET /info.json[?..]  the same as {"section": {"field": "value"}}
 *   WS  /ws              "INFO [section ...]": the JSON form; "PING": "PONG"; "SUBSCRIBE dashboard":
 *                        a dashboard frame (frames.ts) now and every second
 *
 * Anything else is 404. With `requirepass` set everything but /health needs credentials (auth.ts).
 * The endpoint never runs a data command: INFO and the shards' read-only counters only.
 *
 * Robustness: a request can be malformed in any way (URL escapes, query, headers, WebSocket frames,
 * bodies): every handler runs under a guard that answers 400 instead of letting an exception out
 * (an exception escaping a uWebSockets.js handler ends the process).
 */

import './header-limit.js'; // before uWebSockets.js: it reads its header limit when it loads
import uWS from 'uWebSockets.js';
import { buildInfo } from '../server/info.js';
import type { ServerContext } from '../server/main-ctx.js';
import { ADMIN_BAD_REQUEST, ADMIN_INTERNAL, ADMIN_NOT_FOUND, ADMIN_UNAUTHORIZED, adminUnknownRequest } from '../resp/errors.js';
import { authorized, COOKIE, sessionToken, type Credentials } from './auth.js';
import { collect, infoToJson, LoopMonitor, type Snapshot } from './collect.js';
import { DASHBOARD_CSS, DASHBOARD_HTML, DASHBOARD_JS } from './dashboard.js';
import { makeFrame } from './frames.js';
import { METRICS_CONTENT_TYPE, renderMetrics } from './metrics.js';
import { PeerDirectory } from './peers.js';

export { infoToJson } from './collect.js';

export interface AdminEndpoint {
  readonly port: number;
  close(): void;
}

export interface AdminHealth {
  ok: boolean;
  detail: Record<string, string | number | boolean>;
}

const TOPIC = 'dashboard';
const MAX_WS_MESSAGE = 4096;

/** decodeURIComponent that returns null on a malformed escape instead of throwing. */
function decode(s: string): string | null {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    return null;
  }
}

/** The query as INFO section names plus an optional token=...; null when malformed. */
export function parseQuery(query: string): { sections: string[]; token: string } | null {
  const sections: string[] = [];
  let token = '';
  for (const part of query.split(/[,&+ ]/)) {
    if (part === '') continue;
    const d = decode(part);
    if (d === null) return null;
    if (d.startsWith('token=')) token = d.slice(6);
    else if (d.trim() !== '') sections.push(d.trim().toLowerCase());
  }
  return { sections, token };
}

interface Req {
  method: string;
  url: string;
  query: { sections: string[]; token: string } | null;
  creds: Credentials;
}

/** Everything a handler needs from uWS's request object, read synchronously (it dies on return). */
function readReq(req: uWS.HttpRequest): Req {
  const query = parseQuery(req.getQuery() ?? '');
  return {
    method: req.getMethod(),
    url: req.getUrl(),
    query,
    creds: { authorization: req.getHeader('authorization'), cookie: req.getHeader('cookie'), token: query?.token ?? '' },
  };
}

/**
 * Start the endpoint. `health` reports serving state (it lives with replication, which knows the
 * master link). Resolves once listening.
 */
export function startAdmin(server: ServerContext, host: string, port: number, health: () => AdminHealth): Promise<AdminEndpoint> {
  const app = uWS.App();
  const loop = new LoopMonitor();
  const peers = new PeerDirectory(server.config);
  const pass = (): string => server.config.get('requirepass');
  const aclUser = (user: string, pw: string): boolean => server.acl.authenticate(user, pw) !== null;

  /** One response per request, whatever happens: tracks whether it was sent or the client left. */
  class Reply {
    done = false;
    constructor(readonly res: uWS.HttpResponse) {
      res.onAborted(() => {
        this.done = true;
      });
    }

    send(status: string, type: string, body: string, headers: [string, string][] = []): void {
      if (this.done) return;
      this.done = true;
      try {
        this.res.cork(() => {
          this.res.writeStatus(status).writeHeader('Content-Type', type).writeHeader('Cache-Control', 'no-store');
          for (const [k, v] of headers) this.res.writeHeader(k, v);
          this.res.end(body);
        });
      } catch {
        // the socket went away between the check and the write
      }
    }
  }

  const unauthorized = (r: Reply): void =>
    r.send('401 Unauthorized', 'text/plain; charset=utf-8', `${ADMIN_UNAUTHORIZED}\n`, [['WWW-Authenticate', 'Basic realm="shardis admin", charset="UTF-8"']]);

  /** A GET route under the guard: malformed requests get 400, failures 500, never an exception. */
  const route = (path: string, open: boolean, handle: (r: Reply, q: Req) => void): void => {
    app.get(path, (res, req) => {
      const r = new Reply(res);
      try {
        const q = readReq(req);
        if (q.query === null) return r.send('400 Bad Request', 'text/plain', `${ADMIN_BAD_REQUEST}\n`);
        if (!open && !authorized(pass(), q.creds, aclUser)) return unauthorized(r);
        handle(r, q);
      } catch (e) {
        server.log.warn({ err: e }, 'admin endpoint: request failed');
        r.send('400 Bad Request', 'text/plain', `${ADMIN_BAD_REQUEST}\n`);
      }
    });
  };

  /** Async work for a reply: errors become 500 with a fixed text (no exception text leaks). */
  const later = (r: Reply, work: Promise<void>): void => {
    work.catch((e: unknown) => {
      server.log.warn({ err: e }, 'admin endpoint: request failed');
      r.send('500 Internal Server Error', 'text/plain', `${ADMIN_INTERNAL}\n`);
    });
  };

  const page = (type: string, body: string) => (r: Reply) => {
    const p = pass();
    // the cookie lets the page's WebSocket in (browsers send no Basic credentials there)
    r.send('200 OK', type, body, p ? [['Set-Cookie', `${COOKIE}=${sessionToken(p)}; Path=/; HttpOnly; SameSite=Strict`]] : []);
  };

  route('/health', true, (r) => {
    const h = health();
    r.send(h.ok ? '200 OK' : '503 Service Unavailable', 'application/json', JSON.stringify({ status: h.ok ? 'ok' : 'unavailable', ...h.detail }));
  });
  route('/favicon.ico', true, (r) => r.send('204 No Content', 'image/x-icon', ''));
  route('/', false, page('text/html; charset=utf-8', DASHBOARD_HTML));
  route('/dashboard', false, page('text/html; charset=utf-8', DASHBOARD_HTML));
  route('/dashboard.js', false, page('text/javascript; charset=utf-8', DASHBOARD_JS));
  route('/dashboard.css', false, page('text/css; charset=utf-8', DASHBOARD_CSS));
  const info = (json: boolean) => (r: Reply, q: Req) =>
    later(
      r,
      buildInfo(server, q.query!.sections, null).then((text) => {
        if (json) r.send('200 OK', 'application/json', JSON.stringify(infoToJson(text)));
        else r.send('200 OK', 'text/plain; charset=utf-8', text);
      }),
    );
  route('/info', false, info(false));
  route('/info.json', false, info(true));
  route('/metrics', false, (r) =>
    later(
      r,
      collect(server, loop).then((s) => r.send('200 OK', METRICS_CONTENT_TYPE, renderMetrics(s, server.config.int('maxclients')))),
    ),
  );

  // ---- WebSocket -------------------------------------------------------------------------------

  interface WsData {
    ok: boolean;
  }
  const wsSend = (ws: uWS.WebSocket<WsData>, text: string): void => {
    try {
      ws.send(text);
    } catch {
      // closed meanwhile
    }
  };
  let last: Snapshot | null = null;
  const frameNow = async (): Promise<string> => {
    const cur = await collect(server, loop);
    const f = makeFrame(last, cur, peers);
    last = cur;
    return JSON.stringify(f);
  };

  app.ws<WsData>('/ws', {
    maxPayloadLength: MAX_WS_MESSAGE,
    idleTimeout: 120,
    maxBackpressure: 1024 * 1024,
    closeOnBackpressureLimit: true,
    upgrade: (res, req, context) => {
      const r = new Reply(res);
      try {
        const q = readReq(req);
        const key = req.getHeader('sec-websocket-key');
        const protocol = req.getHeader('sec-websocket-protocol');
        const extensions = req.getHeader('sec-websocket-extensions');
        if (q.query === null) return r.send('400 Bad Request', 'text/plain', `${ADMIN_BAD_REQUEST}\n`);
        if (!authorized(pass(), q.creds, aclUser)) return unauthorized(r);
        r.done = true;
        res.cork(() => res.upgrade<WsData>({ ok: true }, key, protocol, extensions, context));
      } catch (e) {
        server.log.warn({ err: e }, 'admin endpoint: WebSocket upgrade failed');
        r.done = false;
        r.send('400 Bad Request', 'text/plain', `${ADMIN_BAD_REQUEST}\n`);
      }
    },
    message: (ws, message) => {
      try {
        const words = Buffer.from(message).toString('utf8').trim().split(/\s+/).filter(Boolean);
        const verb = (words[0] ?? '').toUpperCase();
        if (verb === 'PING') {
          wsSend(ws, 'PONG');
        } else if (verb === 'INFO') {
          buildInfo(
            server,
            words.slice(1).map((w) => w.toLowerCase()),
            null,
          ).then(
            (text) => wsSend(ws, JSON.stringify(infoToJson(text))),
            () => wsSend(ws, JSON.stringify({ error: ADMIN_INTERNAL })),
          );
        } else if (verb === 'SUBSCRIBE' && (words[1] ?? TOPIC).toLowerCase() === TOPIC) {
          ws.subscribe(TOPIC);
          frameNow().then(
            (f) => wsSend(ws, f),
            () => undefined,
          );
        } else if (verb === 'UNSUBSCRIBE') {
          ws.unsubscribe(TOPIC);
        } else {
          wsSend(ws, JSON.stringify({ error: adminUnknownRequest(words[0] ?? '') }));
        }
      } catch (e) {
        server.log.warn({ err: e }, 'admin endpoint: WebSocket message failed');
        wsSend(ws, JSON.stringify({ error: ADMIN_BAD_REQUEST }));
      }
    },
  });

  app.any('/*', (res) => {
    const r = new Reply(res);
    r.send('404 Not Found', 'text/plain', `${ADMIN_NOT_FOUND}\n`);
  });

  // once a second: roll the event-loop histogram; push a frame to dashboard subscribers
  let ticking = false;
  const timer = setInterval(() => {
    loop.roll();
    if (ticking || app.numSubscribers(TOPIC) === 0) {
      if (app.numSubscribers(TOPIC) === 0) last = null;
      return;
    }
    ticking = true;
    frameNow().then(
      (f) => {
        ticking = false;
        try {
          app.publish(TOPIC, f);
        } catch {
          // nothing to do: subscribers come back with the next frame
        }
      },
      () => {
        ticking = false;
      },
    );
  }, 1000);
  timer.unref();

  return new Promise((resolve, reject) => {
    app.listen(host, port, (token) => {
      if (!token) {
        clearInterval(timer);
        loop.stop();
        reject(new Error(`admin endpoint: cannot listen on ${host}:${port}`));
        return;
      }
      resolve({
        port: uWS.us_socket_local_port(token),
        close: () => {
          clearInterval(timer);
          loop.stop();
          uWS.us_listen_socket_close(token);
        },
      });
    });
  });
}
