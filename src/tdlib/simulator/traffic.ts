/**
 * Live traffic for a support company: one realistic event per `step()` (a client asks, an admin
 * answers, someone edits, deletes, sends a sticker, mentions an admin, reads on the phone…), or
 * a steady stream with `run()`. Deterministic for a seed and a sequence of steps.
 */
import {
  STICKERS,
  adminAck,
  adminFix,
  clientFollowUp,
  clientMention,
  clientQuestion,
  clientThanks,
  documentName,
  photoCaption,
  teamChatter,
  texture,
} from './corpus.ts';
import { createRng } from './rng.ts';
import type { SimMessageHandle } from './state.ts';
import type { SupportClientChat, SupportCompany } from './support-company.ts';
import type { SimWorld } from './world.ts';

export type TrafficEventKind =
  | 'question'
  | 'followUp'
  | 'reply'
  | 'thanks'
  | 'mention'
  | 'sticker'
  | 'photo'
  | 'document'
  | 'edit'
  | 'delete'
  | 'teamChat'
  | 'read'
  | 'reaction';

export interface TrafficEvent {
  readonly kind: TrafficEventKind;
  readonly chatKey: string;
  /** Who acted. */
  readonly userId: number;
  /** The message created, edited, deleted or reacted to; null for reads. */
  readonly messageKey: number | null;
  /** Unix seconds. */
  readonly at: number;
}

export interface TrafficOptions {
  readonly seed?: number;
  /** Milliseconds; message dates come from it. Default: the world clock. */
  readonly clock?: () => number;
}

export interface RunOptions {
  readonly messagesPerSecond: number;
  readonly signal?: AbortSignal;
  /** Stop after this many events (default: until aborted). */
  readonly maxEvents?: number;
}

export interface Traffic {
  step(): TrafficEvent;
  /** Steps at the given rate until aborted; resolves with the number of events. */
  run(options: RunOptions): Promise<number>;
}

const WEIGHTS: readonly (readonly [TrafficEventKind, number])[] = [
  ['question', 22],
  ['followUp', 6],
  ['reply', 24],
  ['thanks', 6],
  ['mention', 5],
  ['sticker', 5],
  ['photo', 3],
  ['document', 3],
  ['edit', 5],
  ['delete', 2],
  ['teamChat', 8],
  ['read', 8],
  ['reaction', 3],
];

export function createTraffic(world: SimWorld, company: SupportCompany, options: TrafficOptions = {}): Traffic {
  const rng = createRng(options.seed ?? 1).fork('traffic');
  const now = (): number => (options.clock ? Math.floor(options.clock() / 1000) : world.now());
  const roleOf = new Map(company.team.map((m) => [m.userId, m]));
  const chats = company.clientChats;
  /** Client chats whose latest client message is unanswered, with that question. */
  const waiting = new Map<string, SimMessageHandle | null>();
  for (const c of chats) if (c.waitingSinceIgnoringThanks !== null) waiting.set(c.chat.key, null);
  /** Recently answered chats (candidates for a thanks). */
  const answered: string[] = [];
  /** Messages this traffic wrote, newest last: candidates for edits, deletes and reactions. */
  const recent: { handle: SimMessageHandle; text: string; chatKey: string }[] = [];

  const chatByKey = new Map(chats.map((c) => [c.chat.key, c]));
  // Membership can change under the traffic (tests remove people): only members speak.
  const adminsOf = (c: SupportClientChat) => c.teamIds.filter((id) => roleOf.get(id)?.role === 'admin' && world.isMember(c.chat, id));
  const clientsOf = (c: SupportClientChat) => c.clients.map((x) => x.userId).filter((id) => world.isMember(c.chat, id));
  const textureOf = (c: SupportClientChat) => texture(rng, { name: c.company, lang: c.lang, slug: c.companySlug });

  const remember = (handle: SimMessageHandle, text: string) => {
    recent.push({ handle, text, chatKey: handle.chatKey });
    if (recent.length > 50) recent.shift();
  };

  const event = (kind: TrafficEventKind, chatKey: string, userId: number, messageKey: number | null): TrafficEvent => ({ kind, chatKey, userId, messageKey, at: now() });

  function question(kind: 'question' | 'mention' | 'photo' | 'document'): TrafficEvent {
    const idle = chats.filter((c) => !waiting.has(c.chat.key) && clientsOf(c).length > 0);
    const c = rng.pick(idle.length ? idle : chats);
    const t = textureOf(c);
    const sender = rng.pick(clientsOf(c).length ? clientsOf(c) : c.clients.map((x) => x.userId));
    let handle: SimMessageHandle;
    let text = '';
    if (kind === 'mention') {
      const admin = roleOf.get(rng.pick(adminsOf(c).length ? adminsOf(c) : c.teamIds));
      text = clientMention(rng, c.lang, admin?.username ?? 'admin', t);
      handle = world.sendMessage({ chat: c.chat, senderId: sender, text, date: now() });
    } else if (kind === 'photo') {
      text = photoCaption(rng, c.lang);
      handle = world.sendMessage({ chat: c.chat, senderId: sender, text, content: { kind: 'photo' }, date: now() });
    } else if (kind === 'document') {
      handle = world.sendMessage({ chat: c.chat, senderId: sender, text: '', content: { kind: 'document', fileName: documentName(rng, t) }, date: now() });
    } else {
      text = clientQuestion(rng, c.lang, t);
      handle = world.sendMessage({ chat: c.chat, senderId: sender, text, date: now() });
    }
    if (!waiting.has(c.chat.key) || kind === 'question') waiting.set(c.chat.key, handle);
    if (text) remember(handle, text);
    return event(kind, c.chat.key, sender, handle.key);
  }

  function reply(): TrafficEvent {
    const keys = [...waiting.keys()];
    if (keys.length === 0) return question('question');
    // Usually the longest-waiting chat first, sometimes whatever caught an admin's eye.
    const key = rng.chance(0.5) ? (keys[0] as string) : rng.pick(keys);
    const c = chatByKey.get(key) as SupportClientChat;
    const admins = adminsOf(c);
    if (admins.length === 0) {
      waiting.delete(key);
      return question('question');
    }
    const admin = rng.pick(admins);
    const t = textureOf(c);
    const text = rng.chance(0.5) ? adminAck(rng, c.lang) : adminFix(rng, c.lang, t);
    const q = waiting.get(key) ?? null;
    const handle = world.sendMessage({ chat: c.chat, senderId: admin, text, replyTo: q && rng.chance(0.5) && !world.messageTruth(q).deleted ? q : null, date: now() });
    waiting.delete(key);
    answered.push(key);
    if (answered.length > 20) answered.shift();
    remember(handle, text);
    return event('reply', key, admin, handle.key);
  }

  function clientLine(kind: 'followUp' | 'thanks'): TrafficEvent {
    const pool = kind === 'followUp' ? [...waiting.keys()] : answered;
    if (pool.length === 0) return question('question');
    const key = rng.pick(pool);
    const c = chatByKey.get(key) as SupportClientChat;
    const clients = clientsOf(c);
    if (clients.length === 0) return question('question');
    const sender = rng.pick(clients);
    const text = kind === 'followUp' ? clientFollowUp(rng, c.lang) : clientThanks(rng, c.lang);
    const handle = world.sendMessage({ chat: c.chat, senderId: sender, text, date: now() });
    if (kind === 'thanks') answered.splice(answered.indexOf(key), 1);
    remember(handle, text);
    return event(kind, key, sender, handle.key);
  }

  function sticker(): TrafficEvent {
    const c = rng.pick(chats);
    const people = rng.chance(0.7) ? clientsOf(c) : adminsOf(c);
    const sender = rng.pick(people.length ? people : [...clientsOf(c), ...adminsOf(c)]);
    const handle = world.sendMessage({ chat: c.chat, senderId: sender, text: '', content: { kind: 'sticker', emoji: rng.pick(STICKERS) }, date: now() });
    return event('sticker', c.chat.key, sender, handle.key);
  }

  function edit(): TrafficEvent {
    const candidates = recent.filter((r) => !world.messageTruth(r.handle).deleted && world.messageTruth(r.handle).kind === 'text');
    if (candidates.length === 0) return question('question');
    const r = rng.pick(candidates.slice(-10));
    const text = rng.chance(0.5) ? `${r.text} (upd)` : `${r.text}\n${r.text.length % 2 ? 'UPD: уже неактуально' : 'UPD: воспроизводится снова'}`;
    world.editMessage(r.handle, { text, date: now() });
    r.text = text;
    return event('edit', r.chatKey, r.handle.senderId, r.handle.key);
  }

  function remove(): TrafficEvent {
    const candidates = recent.filter((r) => !world.messageTruth(r.handle).deleted);
    if (candidates.length === 0) return question('question');
    const r = rng.pick(candidates.slice(-5));
    world.deleteMessages([r.handle]);
    recent.splice(recent.indexOf(r), 1);
    return event('delete', r.chatKey, r.handle.senderId, r.handle.key);
  }

  function teamChat(): TrafficEvent {
    const sender = rng.pick(company.team);
    const mentionee = rng.chance(0.3) ? rng.pick(company.team.filter((m) => m !== sender)) : null;
    const c = rng.pick(chats);
    const text = teamChatter(rng, textureOf(c), c.company, mentionee?.username ?? null);
    const handle = world.sendMessage({ chat: company.teamChat, senderId: sender.userId, text, date: now() });
    remember(handle, text);
    return event('teamChat', company.teamChat.key, sender.userId, handle.key);
  }

  function read(): TrafficEvent {
    const account = rng.pick(company.accounts.length ? company.accounts : company.team);
    const own = [company.teamChat, ...chats.filter((c) => c.teamIds.includes(account.userId)).map((c) => c.chat)];
    const chat = rng.pick(own);
    world.readChat(account.userId, chat);
    return event('read', chat.key, account.userId, null);
  }

  function reaction(): TrafficEvent {
    const candidates = recent.filter((r) => !world.messageTruth(r.handle).deleted);
    if (candidates.length === 0) return question('question');
    const r = rng.pick(candidates);
    const c = chatByKey.get(r.chatKey);
    const people = c ? [...clientsOf(c), ...adminsOf(c)].filter((id) => id !== r.handle.senderId) : company.team.map((m) => m.userId).filter((id) => id !== r.handle.senderId);
    if (people.length === 0) return question('question');
    const who = rng.pick(people);
    world.react(who, r.handle, rng.pick(['👍', '🔥', '🙏']));
    return event('reaction', r.chatKey, who, r.handle.key);
  }

  const step = (): TrafficEvent => {
    const kind = rng.weighted(WEIGHTS);
    switch (kind) {
      case 'question':
      case 'mention':
      case 'photo':
      case 'document':
        return question(kind);
      case 'reply':
        return reply();
      case 'followUp':
      case 'thanks':
        return clientLine(kind);
      case 'sticker':
        return sticker();
      case 'edit':
        return edit();
      case 'delete':
        return remove();
      case 'teamChat':
        return teamChat();
      case 'read':
        return read();
      case 'reaction':
        return reaction();
    }
  };

  return {
    step,
    run: async ({ messagesPerSecond, signal, maxEvents }) => {
      const interval = 1000 / Math.max(0.001, messagesPerSecond);
      let count = 0;
      while (!signal?.aborted && (maxEvents === undefined || count < maxEvents)) {
        step();
        count++;
        await sleep(interval, signal);
      }
      return count;
    },
  };
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
  });
}
