/*
 * Headless Chromium driven over the DevTools protocol on its --remote-debugging-pipe (fd 3: commands
 * in, fd 4: replies and events out, each message JSON ended by a NUL byte): no puppeteer, no
 * WebSocket client. One page per Browser; HTTP Basic challenges are answered like a user typing the
 * credentials (Fetch.authRequired); console errors, uncaught exceptions and error log entries are
 * collected.
 */

import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Readable, Writable } from 'node:stream';

export const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'].find((p) => fs.existsSync(p)) ?? null;

interface Pending {
  resolve: (v: Record<string, unknown>) => void;
  reject: (e: Error) => void;
  method: string;
}

export class Browser {
  private nextId = 1;
  private pending = new Map<number, Pending>();
  private session = '';
  private buf = Buffer.alloc(0);
  readonly errors: string[] = [];
  private credentials: { username: string; password: string } | null = null;
  private loadWaiters: (() => void)[] = [];

  private constructor(
    private readonly proc: ChildProcess,
    private readonly out: Writable,
    input: Readable,
    private readonly dir: string,
  ) {
    input.on('data', (d: Buffer) => this.onData(d));
    // a browser that dies fails whatever waits on it instead of hanging the test
    proc.once('exit', (code, signal) => {
      for (const p of this.pending.values()) p.reject(new Error(`chromium exited (${code ?? signal}) during ${p.method}`));
      this.pending.clear();
    });
  }

  static async launch(): Promise<Browser> {
    if (!CHROMIUM) throw new Error('chromium is not installed');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shardis-chromium-'));
    const proc = spawn(
      CHROMIUM,
      [
        '--headless=new',
        '--remote-debugging-pipe',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-dev-shm-usage',
        '--no-first-run',
        '--no-default-browser-check',
        '--disable-extensions',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        `--user-data-dir=${dir}`,
        'about:blank',
      ],
      // its own process group, so that close() can end chromium's helper processes too
      { stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'], detached: true },
    );
    proc.stderr!.resume();
    const b = new Browser(proc, proc.stdio[3] as Writable, proc.stdio[4] as Readable, dir);
    const { targetId } = (await b.send('Target.createTarget', { url: 'about:blank' })) as { targetId: string };
    const { sessionId } = (await b.send('Target.attachToTarget', { targetId, flatten: true })) as { sessionId: string };
    b.session = sessionId;
    await b.send('Page.enable');
    await b.send('Runtime.enable');
    await b.send('Log.enable');
    await b.send('Emulation.setDeviceMetricsOverride', { width: 1280, height: 1000, deviceScaleFactor: 1, mobile: false });
    return b;
  }

  private onData(d: Buffer): void {
    this.buf = Buffer.concat([this.buf, d]);
    for (;;) {
      const end = this.buf.indexOf(0);
      if (end < 0) return;
      const msg = JSON.parse(this.buf.subarray(0, end).toString('utf8')) as {
        id?: number;
        result?: Record<string, unknown>;
        error?: { message: string };
        method?: string;
        params?: Record<string, unknown>;
        sessionId?: string;
      };
      this.buf = this.buf.subarray(end + 1);
      if (msg.id !== undefined) {
        const p = this.pending.get(msg.id);
        this.pending.delete(msg.id);
        if (p && msg.error) p.reject(new Error(`${p.method}: ${msg.error.message}`));
        else p?.resolve(msg.result ?? {});
      } else if (msg.method) {
        this.onEvent(msg.method, msg.params ?? {});
      }
    }
  }

  private onEvent(method: string, params: Record<string, unknown>): void {
    if (method === 'Runtime.consoleAPICalled' && params.type === 'error') {
      const args = (params.args as { value?: unknown; description?: string }[]) ?? [];
      this.errors.push(`console.error: ${args.map((a) => String(a.value ?? a.description)).join(' ')}`);
    } else if (method === 'Runtime.exceptionThrown') {
      const d = params.exceptionDetails as { text: string; exception?: { description?: string } };
      this.errors.push(`exception: ${d.text} ${d.exception?.description ?? ''}`);
    } else if (method === 'Log.entryAdded') {
      const e = params.entry as { level: string; text: string; url?: string };
      if (e.level === 'error') this.errors.push(`log: ${e.text} ${e.url ?? ''}`);
    } else if (method === 'Fetch.requestPaused') {
      void this.send('Fetch.continueRequest', { requestId: params.requestId }).catch(() => undefined);
    } else if (method === 'Fetch.authRequired') {
      const response = this.credentials ? { response: 'ProvideCredentials', ...this.credentials } : { response: 'CancelAuth' };
      void this.send('Fetch.continueWithAuth', { requestId: params.requestId, authChallengeResponse: response }).catch(() => undefined);
    } else if (method === 'Page.loadEventFired') {
      const w = this.loadWaiters;
      this.loadWaiters = [];
      for (const f of w) f();
    }
  }

  send(method: string, params: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
    const id = this.nextId++;
    const msg: Record<string, unknown> = { id, method, params };
    if (this.session && !method.startsWith('Target.')) msg.sessionId = this.session;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, method });
      this.out.write(JSON.stringify(msg) + '\0');
    });
  }

  /** Answer HTTP auth challenges with these credentials (as a user would in the browser's prompt). */
  async authenticate(username: string, password: string): Promise<void> {
    this.credentials = { username, password };
    await this.send('Fetch.enable', { handleAuthRequests: true, patterns: [{ urlPattern: '*' }] });
  }

  /** Navigate and wait for the load event. */
  async goto(url: string): Promise<void> {
    const loaded = new Promise<void>((r) => this.loadWaiters.push(r));
    const r = (await this.send('Page.navigate', { url })) as { errorText?: string };
    if (r.errorText) throw new Error(`navigate ${url}: ${r.errorText}`);
    await loaded;
  }

  /** Evaluate an expression in the page; returns its JSON value. */
  async eval<T>(expression: string): Promise<T> {
    const r = (await this.send('Runtime.evaluate', { expression, returnByValue: true })) as {
      result: { value?: T };
      exceptionDetails?: { text: string };
    };
    if (r.exceptionDetails) throw new Error(`evaluate ${expression}: ${r.exceptionDetails.text}`);
    return r.result.value as T;
  }

  async screenshot(file: string): Promise<void> {
    const { data } = (await this.send('Page.captureScreenshot', { format: 'png', captureBeyondViewport: true })) as { data: string };
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, Buffer.from(data, 'base64'));
  }

  async close(): Promise<void> {
    try {
      await Promise.race([this.send('Browser.close'), new Promise((r) => setTimeout(r, 2000))]);
    } catch {
      // already gone
    }
    if (this.proc.exitCode === null && this.proc.signalCode === null) {
      const exited = new Promise((r) => this.proc.once('exit', r));
      this.proc.kill('SIGKILL');
      await exited;
    }
    // helper processes (renderer, zygote) outlive the browser process for a moment and may still be
    // writing into the profile: end the whole group, then remove the profile with retries
    try {
      if (this.proc.pid !== undefined) process.kill(-this.proc.pid, 'SIGKILL');
    } catch {
      // the group is gone already
    }
    fs.rmSync(this.dir, { recursive: true, force: true, maxRetries: 20, retryDelay: 100 });
  }
}
