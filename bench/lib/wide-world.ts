/**
 * A support company far larger than the demo's: N accounts and thousands of client chats (80 %
 * supergroups, 20 % basic groups), built directly on the simulator world, plus a traffic driver
 * with the same texture as src/tdlib/simulator/traffic.ts (client questions in Russian and
 * English, admin answers, follow-ups, thanks, @mentions, stickers, edits, deletes, reads).
 */
import { adminAck, adminFix, chatTitle, clientFollowUp, clientMention, clientQuestion, clientThanks, companies, personName, texture, transliterate, type Company } from '../../src/tdlib/simulator/corpus.ts';
import { createRng, type Rng } from '../../src/tdlib/simulator/rng.ts';
import type { SimChatHandle, SimMessageHandle } from '../../src/tdlib/simulator/state.ts';
import { createSimWorld, type SimWorld } from '../../src/tdlib/simulator/world.ts';

export interface WideChat {
  readonly handle: SimChatHandle;
  readonly company: Company;
  readonly clients: readonly number[];
  /** Team members in the chat (account users among them). */
  readonly team: readonly number[];
}

export interface WideWorld {
  readonly world: SimWorld;
  readonly accounts: readonly { accountId: string; userId: number; username: string }[];
  readonly teamChat: SimChatHandle;
  readonly chats: readonly WideChat[];
  /** The TeamConfig the daemon gets: the team chat and the roster. */
  readonly team: { teamChatId: number; members: { userId: number; role: 'admin' | 'manager'; name: string }[]; companyNames: string[] };
  /** Moves the world clock (milliseconds). */
  advance(ms: number): void;
  now(): number;
}

export interface WideWorldOptions {
  readonly seed?: number;
  readonly accounts: number;
  readonly chats: number;
  /** Share of basic groups among client chats. Default 0.2. */
  readonly basicShare?: number;
  /**
   * Which accounts are members of client chat i: 'all', or a function. Default: account 1 (a
   * service account) in every chat, each other account in about half of them.
   */
  readonly membership?: 'all' | ((chatIndex: number, accountIndex: number, rng: Rng) => boolean);
  /** World clock start, ms. Default: now. */
  readonly startAt?: number;
}

export function buildWideWorld(options: WideWorldOptions): WideWorld {
  let now = options.startAt ?? Date.now();
  const world = createSimWorld({ seed: options.seed ?? 1, clock: () => now });
  const rng = createRng(options.seed ?? 1).fork('wide-world');
  const usedUsernames = new Set<string>();
  const accounts: { accountId: string; userId: number; username: string }[] = [];
  const members: { userId: number; role: 'admin' | 'manager'; name: string }[] = [];
  for (let i = 0; i < options.accounts; i++) {
    const p = personName(rng, 'ru');
    let username = `${transliterate(p.firstName[0] ?? 'x')}_${p.latin}_ops`;
    while (usedUsernames.has(username)) username += rng.int(0, 9);
    usedUsernames.add(username);
    const u = world.addUser({ firstName: p.firstName, lastName: p.lastName, username, account: true, loggedIn: true, languageCode: 'ru' });
    accounts.push({ accountId: `acc${i + 1}`, userId: u.id, username });
    members.push({ userId: u.id, role: i === options.accounts - 1 && i > 0 ? 'manager' : 'admin', name: `${p.firstName} ${p.lastName}` });
  }
  const ids = accounts.map((a) => a.userId);
  const teamChat = world.createSupergroup('Команда поддержки', ids, ids, { creatorId: ids[0], date: Math.floor(now / 1000) - 400 * 86_400 });
  const membership =
    options.membership === 'all'
      ? () => true
      : (options.membership ?? ((_: number, accountIndex: number, r: Rng) => accountIndex === 0 || r.chance(0.5)));
  const chats: WideChat[] = [];
  const basicShare = options.basicShare ?? 0.2;
  for (const [i, company] of companies(rng, options.chats).entries()) {
    const clients: number[] = [];
    for (let k = rng.int(1, 3); k > 0; k--) {
      const p = personName(rng, company.lang);
      clients.push(world.addUser({ firstName: p.firstName, lastName: p.lastName, languageCode: company.lang }).id);
    }
    const team = ids.filter((_, a) => membership(i, a, rng));
    if (team.length === 0) team.push(ids[0]!);
    const title = chatTitle(rng, company);
    const created = Math.floor(now / 1000) - rng.int(3, 400) * 86_400;
    const handle = rng.chance(basicShare)
      ? world.createBasicGroup(title, [...team, ...clients], team, { creatorId: team[0], date: created })
      : world.createSupergroup(title, [...team, ...clients], team, { creatorId: team[0], date: created });
    chats.push({ handle, company, clients, team });
  }
  return {
    world,
    accounts,
    teamChat,
    chats,
    team: { teamChatId: teamChat.id, members, companyNames: ['HostOps', 'ХостОпс'] },
    advance(ms) {
      now += ms;
    },
    now: () => now,
  };
}

export type WideStep = 'question' | 'followUp' | 'reply' | 'thanks' | 'mention' | 'sticker' | 'edit' | 'delete' | 'read';

const WEIGHTS: readonly (readonly [WideStep, number])[] = [
  ['question', 24],
  ['followUp', 6],
  ['reply', 26],
  ['thanks', 6],
  ['mention', 6],
  ['sticker', 4],
  ['edit', 5],
  ['delete', 2],
  ['read', 21],
];

/**
 * Traffic over a wide world. Busy chats are busier (a power law over the chat list), as in a
 * real support desk where a few clients write most messages.
 */
export function createWideTraffic(w: WideWorld, seed = 1): { step(): WideStep } {
  const rng = createRng(seed).fork('wide-traffic');
  const waiting = new Set<number>();
  const answered: number[] = [];
  const recent: { handle: SimMessageHandle; text: string }[] = [];
  const usernames = new Map(w.accounts.map((a) => [a.userId, a.username]));
  const n = w.chats.length;
  const pickChat = (): number => Math.min(n - 1, Math.floor(n * rng.next() ** 2));
  const lang = (c: WideChat) => c.company.lang;
  const at = () => Math.floor(w.now() / 1000);
  const send = (c: WideChat, senderId: number, text: string, extra: object = {}): SimMessageHandle => {
    const handle = w.world.sendMessage({ chat: c.handle, senderId, text, date: at(), ...extra });
    if (text) {
      recent.push({ handle, text });
      if (recent.length > 50) recent.shift();
    }
    return handle;
  };
  const step = (): WideStep => {
    const kind = rng.weighted(WEIGHTS);
    switch (kind) {
      case 'question':
      case 'mention': {
        const i = pickChat();
        const c = w.chats[i]!;
        const t = texture(rng, c.company);
        const admin = rng.pick(c.team);
        const text = kind === 'mention' ? clientMention(rng, lang(c), usernames.get(admin) ?? 'admin', t) : clientQuestion(rng, lang(c), t);
        send(c, rng.pick(c.clients), text);
        waiting.add(i);
        return kind;
      }
      case 'followUp':
      case 'thanks': {
        const pool = kind === 'followUp' ? [...waiting] : answered;
        if (pool.length === 0) return step();
        const i = rng.pick(pool);
        const c = w.chats[i]!;
        send(c, rng.pick(c.clients), kind === 'followUp' ? clientFollowUp(rng, lang(c)) : clientThanks(rng, lang(c)));
        if (kind === 'thanks') answered.splice(answered.indexOf(i), 1);
        else waiting.add(i);
        return kind;
      }
      case 'reply': {
        if (waiting.size === 0) return step();
        const i = rng.chance(0.5) ? (waiting.values().next().value as number) : rng.pick([...waiting]);
        const c = w.chats[i]!;
        const t = texture(rng, c.company);
        send(c, rng.pick(c.team), rng.chance(0.5) ? adminAck(rng, lang(c)) : adminFix(rng, lang(c), t));
        waiting.delete(i);
        answered.push(i);
        if (answered.length > 50) answered.shift();
        return kind;
      }
      case 'sticker': {
        const c = w.chats[pickChat()]!;
        w.world.sendMessage({ chat: c.handle, senderId: rng.pick(c.clients), text: '', content: { kind: 'sticker' }, date: at() });
        return kind;
      }
      case 'edit': {
        const live = recent.filter((r) => !w.world.messageTruth(r.handle).deleted);
        if (live.length === 0) return step();
        const r = rng.pick(live.slice(-10));
        r.text = `${r.text} (upd)`;
        w.world.editMessage(r.handle, { text: r.text, date: at() });
        return kind;
      }
      case 'delete': {
        const live = recent.filter((r) => !w.world.messageTruth(r.handle).deleted);
        if (live.length === 0) return step();
        const r = rng.pick(live.slice(-5));
        w.world.deleteMessages([r.handle]);
        recent.splice(recent.indexOf(r), 1);
        return kind;
      }
      case 'read': {
        const c = w.chats[pickChat()]!;
        w.world.readChat(rng.pick(c.team), c.handle);
        return kind;
      }
    }
  };
  return { step };
}
