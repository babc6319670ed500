/*
 * CLIENT TRACKING, CLIENT CACHING, CLIENT GETREDIR and CLIENT TRACKINGINFO: option parsing and
 * replies; the tracking state and invalidations live in ../tracking.ts.
 */

import * as E from '../../resp/errors.js';
import { CommandError } from '../../resp/errors.js';
import type { MainHandler } from '../main-ctx.js';
import { prefixesOverlap, type TrackingState } from '../tracking.js';
import { Keys, mainCommands } from '../../commands/registry.js';

// keyless: none of these touches a key (inside EXEC they need no shard locked)
export const commands = mainCommands<MainHandler>({
  'client|tracking'(c) {
    const on = c.args.is(2, 'on');
    if (!on && !c.args.is(2, 'off')) throw new CommandError(E.SYNTAX);
    let redirect = 0;
    let bcast = false;
    let optin = false;
    let optout = false;
    let noloop = false;
    const prefixes: string[] = [];
    for (let i = 3; i < c.argc; i++) {
      const more = i + 1 < c.argc;
      if (c.args.is(i, 'redirect') && more) {
        if (redirect !== 0) throw new CommandError(E.TRACKING_ONE_REDIRECT);
        const id = Number(c.args.str(++i));
        if (!/^-?[0-9]+$/.test(c.args.str(i))) throw new CommandError(E.NOT_INTEGER);
        redirect = id;
      } else if (c.args.is(i, 'bcast')) bcast = true;
      else if (c.args.is(i, 'optin')) optin = true;
      else if (c.args.is(i, 'optout')) optout = true;
      else if (c.args.is(i, 'noloop')) noloop = true;
      else if (c.args.is(i, 'prefix') && more) prefixes.push(c.args.str(++i));
      else throw new CommandError(E.SYNTAX);
    }
    const t = c.server.tracking;
    const id = c.conn.id;
    if (!on) {
      t.disable(id);
      c.w.ok();
      return;
    }
    const old = t.clients.get(id);
    if (!bcast && prefixes.length > 0) throw new CommandError(E.TRACKING_PREFIX_NEEDS_BCAST);
    if (old && old.bcast !== bcast) throw new CommandError(E.TRACKING_BCAST_SWITCH);
    if (optin && optout) throw new CommandError(E.TRACKING_OPTIN_OPTOUT);
    if (old && ((optin && old.optout) || (optout && old.optin))) throw new CommandError(E.TRACKING_OPT_SWITCH);
    if ((optin || optout) && bcast) throw new CommandError(E.TRACKING_OPT_BCAST);
    if (redirect !== 0 && redirect !== id && !c.server.conns.has(redirect)) throw new CommandError(E.TRACKING_NO_REDIRECT_TARGET);
    // prefixes must not overlap the ones the client already has nor each other (as Redis checks)
    const all = [...(old?.prefixes ?? [])];
    for (let i = 0; i < prefixes.length; i++) {
      const p = prefixes[i]!;
      for (const q of all) if (prefixesOverlap(p, q)) throw new CommandError(E.trackingPrefixOverlap(p, q));
      for (let j = i + 1; j < prefixes.length; j++) {
        if (prefixesOverlap(p, prefixes[j]!)) throw new CommandError(E.trackingPrefixOverlapProvided(p, prefixes[j]!));
      }
    }
    all.push(...prefixes);
    // BCAST without PREFIX: every key (the empty prefix, as TRACKINGINFO shows)
    if (bcast && all.length === 0) all.push('');
    const s: TrackingState = {
      redirect,
      bcast,
      optin: optin || (old?.optin ?? false),
      optout: optout || (old?.optout ?? false),
      noloop: noloop || (old?.noloop ?? false),
      prefixes: all,
      caching: '',
      cachingSeq: -1,
      brokenRedirect: false,
    };
    t.enable(c.conn, s);
    c.w.ok();
  },

  'client|caching'(c) {
    const s = c.server.tracking.clients.get(c.conn.id);
    if (!s) throw new CommandError(E.CACHING_NOT_TRACKING);
    if (c.args.is(2, 'yes')) {
      if (!s.optin) throw new CommandError(E.CACHING_YES_NEEDS_OPTIN);
      s.caching = 'yes';
      s.cachingSeq = c.seq + 1;
    } else if (c.args.is(2, 'no')) {
      if (!s.optout) throw new CommandError(E.CACHING_NO_NEEDS_OPTOUT);
      s.caching = 'no';
      s.cachingSeq = c.seq + 1;
    } else throw new CommandError(E.SYNTAX);
    c.w.ok();
  },

  'client|getredir'(c) {
    const s = c.server.tracking.clients.get(c.conn.id);
    c.w.int(s ? s.redirect : -1);
  },

  'client|trackinginfo'(c) {
    const s = c.server.tracking.clients.get(c.conn.id);
    c.w.map(3);
    c.w.bulk('flags');
    if (!s) {
      c.w.set(1);
      c.w.bulk('off');
    } else {
      const flags = ['on'];
      if (s.bcast) flags.push('bcast');
      if (s.optin) {
        flags.push('optin');
        if (s.caching === 'yes' && s.cachingSeq === c.seq) flags.push('caching-yes');
      }
      if (s.optout) {
        flags.push('optout');
        if (s.caching === 'no' && s.cachingSeq === c.seq) flags.push('caching-no');
      }
      if (s.noloop) flags.push('noloop');
      if (s.brokenRedirect) flags.push('broken_redirect');
      c.w.set(flags.length);
      for (const f of flags) c.w.bulk(f);
    }
    c.w.bulk('redirect');
    c.w.int(s ? s.redirect : -1);
    c.w.bulk('prefixes');
    const prefixes = [...(s?.prefixes ?? [])].sort();
    c.w.array(prefixes.length);
    for (const p of prefixes) c.w.bulk(p);
  },
}, { keys: Keys.None });
