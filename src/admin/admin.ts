/*
 * The admin endpoint (uWebSockets.js, on the main thread's event loop), off unless `admin-port` is set:
 * what monitoring and orchestration want without speaking RESP.
 *
 *   GET /health          200 {"status":"ok",...} while serving; 503 while a replica loads its master's
 *                        data, or while its master link is down with replica-serve-stale-data no
 *   GET /info[?s1,s2]    INFO as redis-server prints it (text/plain), sections as the INFO command takes
 *   GET /info.json[?..]  the same as {"section": {"field": "value"}}
 *   WS  /ws              send "INFO [section ...]": the JSON form comes back; "PING": "PONG"
 *
 * Anything else is 404. The endpoint binds the first address of `bind`.
 */

import uWS from 'uWebSockets.js';
import { buildInfo } from '../server/info.js';
import type { Server } from '../server/server.js';

export interface AdminEndpoint {
  readonly port: number;
  close(): void;
}

/** INFO text -> { section: { field: value } } (section names lower-case, as INFO takes them). */
export function infoToJson(text: string): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = {};
  let section: Record<string, string> | null = null;
  for (const line of text.split('\r\n')) {
    if (line.startsWith('# ')) {
      section = {};
      out[line.slice(2).toLowerCase()] = section;
    } else if (line !== '' && section) {
      const i = line.indexOf(':');
      if (i > 0) section[line.slice(0, i)] = line.slice(i + 1);
    }
  }
  return out;
}

function sectionsOf(query: string): string[] {
  return query
    .split(/[,&+ ]/)
    .map((s) => decodeURIComponent(s).trim())
    .filter(Boolean);
}

export interface AdminHealth {
  ok: boolean;
  detail: Record<string, string | number | boolean>;
}

/**
 * Start the endpoint. `health` reports serving state (it lives with replication, which knows the
 * master link). Resolves once listening.
 */
export function startAdmin(server: Server, host: string, port: number, health: () => AdminHealth): Promise<AdminEndpoint> {
  const app = uWS.App();

  const answer = (res: uWS.HttpResponse, status: string, type: string, body: string): void => {
    res.cork(() => {
      res.writeStatus(status).writeHeader('Content-Type', type).end(body);
    });
  };

  /** Build INFO asynchronously; the client may go away meanwhile. */
  const info = (res: uWS.HttpResponse, query: string, json: boolean): void => {
    let aborted = false;
    res.onAborted(() => {
      aborted = true;
    });
    buildInfo(server, sectionsOf(query), null).then(
      (text) => {
        if (aborted) return;
        if (json) answer(res, '200 OK', 'application/json', JSON.stringify(infoToJson(text)));
        else answer(res, '200 OK', 'text/plain; charset=utf-8', text);
      },
      (e: unknown) => {
        if (!aborted) answer(res, '500 Internal Server Error', 'text/plain', `${(e as Error).message}\n`);
      },
    );
  };

  app.get('/health', (res) => {
    const h = health();
    answer(res, h.ok ? '200 OK' : '503 Service Unavailable', 'application/json', JSON.stringify({ status: h.ok ? 'ok' : 'unavailable', ...h.detail }));
  });
  app.get('/info', (res, req) => info(res, req.getQuery() ?? '', false));
  app.get('/info.json', (res, req) => info(res, req.getQuery() ?? '', true));
  app.ws('/ws', {
    message: (ws, message) => {
      const words = Buffer.from(message).toString('utf8').trim().split(/\s+/).filter(Boolean);
      const verb = (words[0] ?? '').toUpperCase();
      if (verb === 'PING') {
        ws.send('PONG');
      } else if (verb === 'INFO') {
        buildInfo(server, words.slice(1), null).then(
          (text) => {
            try {
              ws.send(JSON.stringify(infoToJson(text)));
            } catch {
              // closed meanwhile
            }
          },
          () => undefined,
        );
      } else {
        ws.send(JSON.stringify({ error: `unknown request '${words[0] ?? ''}': send INFO [section ...] or PING` }));
      }
    },
  });
  app.any('/*', (res) => answer(res, '404 Not Found', 'text/plain', 'not found: try /health, /info, /info.json or the WebSocket /ws\n'));

  return new Promise((resolve, reject) => {
    app.listen(host, port, (token) => {
      if (!token) {
        reject(new Error(`admin endpoint: cannot listen on ${host}:${port}`));
        return;
      }
      resolve({
        port: uWS.us_socket_local_port(token),
        close: () => uWS.us_listen_socket_close(token),
      });
    });
  });
}
