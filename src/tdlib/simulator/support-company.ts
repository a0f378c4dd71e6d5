/**
 * A realistic support company inside a world: admins and managers, a team chat, about forty
 * client chats with their people, a few private chats, and hours of backdated history arranged
 * so that at `now` some clients are waiting, some waited too long, some were answered, some only
 * said thanks, and some chats hold unread @mentions of the daemon's accounts.
 *
 * History is planned per chat, then replayed across all chats in date order, so per-user
 * message ids (basic groups, private chats) grow with time as they do in Telegram.
 */
import {
  type Company,
  type Lang,
  STICKERS,
  adminAck,
  adminClosing,
  adminCoverFor,
  adminFix,
  chatTitle,
  clientFollowUp,
  clientMention,
  clientQuestion,
  clientThanks,
  companies,
  documentName,
  logLine,
  personName,
  photoCaption,
  teamChatter,
  texture,
  transliterate,
} from './corpus.ts';
import { type Rng, createRng } from './rng.ts';
import type { SimChatHandle, SimMessageHandle, SimMessageTruth, SimSendInput } from './state.ts';
import type { SimWorld } from './world.ts';

export type TeamRole = 'admin' | 'manager';
/** What the chat looks like at `now`. */
export type ClientChatScenario = 'waiting' | 'overdue' | 'answered' | 'thanks' | 'mention' | 'quiet';

export interface SupportTeamMember {
  readonly userId: number;
  readonly role: TeamRole;
  readonly name: string;
  readonly username: string;
  readonly phone: string;
  readonly isAccount: boolean;
}

export interface SupportClient {
  readonly userId: number;
  readonly name: string;
}

export interface SupportClientChat {
  readonly chat: SimChatHandle;
  /** The TDLib chat id (client chats are groups, so every account sees the same id). */
  readonly chatId: number;
  readonly kind: 'supergroup' | 'basicGroup';
  readonly title: string;
  readonly company: string;
  /** Latin slug of the company, used in its hostnames and domain. */
  readonly companySlug: string;
  readonly lang: Lang;
  readonly clients: readonly SupportClient[];
  /** Team members in the chat (admins, sometimes a manager). */
  readonly teamIds: readonly number[];
  readonly scenario: ClientChatScenario;
  /**
   * Unix seconds of the oldest client message no team member answered, by the plain rule of
   * DESIGN.md §3 (every client message counts, a trailing "thanks" too). Null when nothing waits.
   */
  readonly waitingSince: number | null;
  /** The same with a policy that ignores thanks and stickers (DESIGN.md §3 exclusions). */
  readonly waitingSinceIgnoringThanks: number | null;
  /** Waiting longer than `overdueAfterMinutes` at `now` (plain rule). */
  readonly overdue: boolean;
  /** The chat's last message is a client's thanks or sticker. */
  readonly endsWithThanks: boolean;
  /** Accounts with an unread @mention in this chat at `now`. */
  readonly unreadMentionAccountIds: readonly number[];
}

export interface SupportCompany {
  /** Unix seconds the situation was built for. */
  readonly now: number;
  readonly team: readonly SupportTeamMember[];
  /** The team members the daemon drives, in order: admins first, then the manager. */
  readonly accounts: readonly SupportTeamMember[];
  readonly teamChat: SimChatHandle;
  readonly clientChats: readonly SupportClientChat[];
  readonly privateChats: readonly SimChatHandle[];
  readonly overdueAfterMinutes: number;
}

export interface SupportCompanyOptions {
  /** The moment to build the situation for, in milliseconds. Default: the world clock. */
  readonly now?: number;
  readonly seed?: number;
  /** How many team members are the daemon's accounts. Default 4: three admins and a manager. */
  readonly accounts?: number;
  /** How far back the detailed history goes. Default 6 hours. */
  readonly historyHours?: number;
  /** Number of client chats. Default 40. */
  readonly clientChats?: number;
  /** Default 15 minutes. */
  readonly overdueAfterMinutes?: number;
  /** Whether the accounts start logged in. Default true. */
  readonly loggedIn?: boolean;
}

const ADMINS = 8;
const MANAGERS = 2;
const MIN = 60;

interface PlanEvent {
  readonly at: number;
  readonly seq: number;
  readonly run: () => void;
}

/** Collects one chat's events; they run later, merged with every other chat's by date. */
class Plan {
  readonly events: PlanEvent[] = [];
  private seq = 0;

  add(at: number, run: () => void): void {
    this.events.push({ at, seq: this.seq++, run });
  }
}

export function buildSupportCompany(world: SimWorld, options: SupportCompanyOptions = {}): SupportCompany {
  const rng = createRng(options.seed ?? 1).fork('support-company');
  const now = Math.floor((options.now ?? world.now() * 1000) / 1000);
  const historyStart = now - (options.historyHours ?? 6) * 3600;
  const overdueAfter = options.overdueAfterMinutes ?? 15;
  const chatCount = options.clientChats ?? 40;
  const plan = new Plan();

  // ── the team ──
  const usedNames = new Set<string>();
  const usedUsernames = new Set<string>();
  const uniquePerson = (lang: Lang) => {
    for (;;) {
      const p = personName(rng, lang);
      const key = `${p.firstName} ${p.lastName}`;
      if (usedNames.has(key)) continue;
      usedNames.add(key);
      return p;
    }
  };
  const accountCount = Math.max(0, Math.min(ADMINS + MANAGERS, options.accounts ?? 4));
  // One manager among the accounts as soon as there are two; the rest are admins.
  const accountAdmins = accountCount <= 1 ? accountCount : Math.min(ADMINS, accountCount - 1);
  const accountManagers = accountCount - accountAdmins;
  const team: SupportTeamMember[] = [];
  for (let i = 0; i < ADMINS + MANAGERS; i++) {
    const role: TeamRole = i < ADMINS ? 'admin' : 'manager';
    const isAccount = role === 'admin' ? i < accountAdmins : i - ADMINS < accountManagers;
    const p = uniquePerson('ru');
    let username = `${transliterate(p.firstName[0] ?? 'x')}_${p.latin}${role === 'admin' ? '_ops' : ''}`;
    while (usedUsernames.has(username)) username += rng.int(0, 9);
    usedUsernames.add(username);
    const phone = `+7 9${rng.int(10, 99)} ${rng.int(100, 999)} ${rng.int(10, 99)} ${rng.int(10, 99)}`;
    const user = world.addUser({
      firstName: p.firstName,
      lastName: p.lastName,
      username,
      phone,
      account: isAccount,
      loggedIn: isAccount ? (options.loggedIn ?? true) : false,
      languageCode: 'ru',
    });
    team.push({ userId: user.id, role, name: `${p.firstName} ${p.lastName}`, username, phone, isAccount });
  }
  const admins = team.filter((m) => m.role === 'admin');
  const managers = team.filter((m) => m.role === 'manager');
  const accounts = [...team.filter((m) => m.isAccount && m.role === 'admin'), ...team.filter((m) => m.isAccount && m.role === 'manager')];
  const accountAdminsList = admins.filter((a) => a.isAccount);
  const isAccount = (id: number) => accounts.some((a) => a.userId === id);
  const byId = new Map(team.map((m) => [m.userId, m]));

  const teamChat = world.createSupergroup(
    'Команда поддержки',
    team.map((m) => m.userId),
    team.map((m) => m.userId),
    { creatorId: (managers[0] ?? admins[0])?.userId, date: now - 400 * 86400 },
  );

  /** A person reading a chat on their phone, at a moment of the plan. */
  const readLater = (at: number, chat: SimChatHandle, userId: number, mentions = true) => plan.add(at, () => world.readChat(userId, chat, { mentions }));
  const send = (at: number, input: Omit<SimSendInput, 'date'>, ref?: { msg?: SimMessageHandle }) =>
    plan.add(at, () => {
      const msg = world.sendMessage({ ...input, date: at });
      if (ref) ref.msg = msg;
    });

  // ── client chats ──
  const scenarios = scenarioList(rng, chatCount);
  const basicIdx = new Set(rng.sample([...Array(chatCount).keys()], Math.round(chatCount * 0.2)));
  const clientChats: SupportClientChat[] = [];
  const plannedChats: { chat: SimChatHandle; scenario: ClientChatScenario; clients: SupportClient[]; teamIds: number[]; company: Company; title: string }[] = [];
  for (const [i, company] of companies(rng, chatCount).entries()) {
    const people = rng.int(1, 4);
    const clients: SupportClient[] = [];
    for (let k = 0; k < people; k++) {
      const p = uniquePerson(company.lang);
      const username = rng.chance(0.5) ? `${transliterate(p.firstName).toLowerCase()}_${p.latin}_${company.slug.replace(/[^a-z0-9]/g, '').slice(0, 8)}` : null;
      const u = world.addUser({ firstName: p.firstName, lastName: p.lastName, username: username && !usedUsernames.has(username) ? username : null, languageCode: company.lang });
      if (username) usedUsernames.add(username);
      clients.push({ userId: u.id, name: `${p.firstName} ${p.lastName}` });
    }
    // Two or three admins, at least one of them an account, sometimes a manager.
    const anchor = accountAdminsList.length ? accountAdminsList[i % accountAdminsList.length] : undefined;
    const others = rng.sample(admins.filter((a) => a !== anchor), rng.int(1, 2) + (anchor ? 0 : 1));
    const teamMembers = [...(anchor ? [anchor] : []), ...others];
    const manager = managers[rng.int(0, managers.length - 1)];
    if (manager && rng.chance(manager.isAccount ? 0.4 : 0.2)) teamMembers.push(manager);
    const teamIds = teamMembers.map((m) => m.userId);
    const title = chatTitle(rng, company);
    const created = now - rng.int(3, 400) * 86400;
    const kindBasic = basicIdx.has(i);
    const memberIds = [...teamIds, ...clients.map((c) => c.userId)];
    const chat = kindBasic
      ? world.createBasicGroup(title, memberIds, teamIds, { creatorId: teamIds[0], date: created })
      : world.createSupergroup(title, memberIds, teamIds, { creatorId: teamIds[0], date: created });
    plannedChats.push({ chat, scenario: scenarios[i] ?? 'answered', clients, teamIds, company, title });
  }

  for (const c of plannedChats) planClientChat(c);

  // ── the team chat and private chats ──
  for (let at = historyStart + rng.int(5, 30) * MIN; at < now - 5 * MIN; at += rng.int(12, 45) * MIN) {
    const sender = rng.pick(team);
    const mentionee = rng.chance(0.3) ? rng.pick(team.filter((m) => m !== sender)) : null;
    const company = rng.pick(plannedChats).company;
    send(at, { chat: teamChat, senderId: sender.userId, text: teamChatter(rng, texture(rng, company), company.name, mentionee?.username ?? null) });
    for (const acc of accounts) if (acc !== sender && rng.chance(0.5)) readLater(at + rng.int(1, 20) * MIN, teamChat, acc.userId);
  }
  const privateChats = planPrivateChats();

  // ── run the plan across chats in date order ──
  plan.events.sort((a, b) => a.at - b.at || a.seq - b.seq);
  for (const e of plan.events) if (e.at <= now) e.run();

  const truth = world.allMessages();
  const teamIdSet = new Set(team.map((m) => m.userId));
  for (const c of plannedChats) {
    const own = truth.filter((m) => m.chatKey === c.chat.key);
    const waitingSince = computeWaitingSince(own, teamIdSet);
    const last = own.filter((m) => !m.deleted && m.kind !== 'service').pop();
    clientChats.push({
      chat: c.chat,
      chatId: c.chat.id,
      kind: c.chat.kind === 'basicGroup' ? 'basicGroup' : 'supergroup',
      title: c.title,
      company: c.company.name,
      companySlug: c.company.slug,
      lang: c.company.lang,
      clients: c.clients,
      teamIds: c.teamIds,
      scenario: c.scenario,
      waitingSince,
      waitingSinceIgnoringThanks: computeWaitingSince(own, teamIdSet, isThanks),
      overdue: waitingSince !== null && now - waitingSince > overdueAfter * MIN,
      endsWithThanks: !!last && !teamIdSet.has(last.senderId) && isThanks(last),
      unreadMentionAccountIds: accounts.filter((a) => c.teamIds.includes(a.userId) && world.chatState(a.userId, c.chat).unreadMentionCount > 0).map((a) => a.userId),
    });
  }

  return { now, team, accounts, teamChat, clientChats, privateChats, overdueAfterMinutes: overdueAfter };

  // ── planning helpers (closures over the world, the plan and the rng) ──

  function planClientChat(c: (typeof plannedChats)[number]): void {
    const { chat, scenario, clients, teamIds, company } = c;
    const t = texture(rng, company);
    const lang = company.lang;
    const client = () => rng.pick(clients).userId;
    const admin = () => rng.pick(teamIds.filter((id) => byId.get(id)?.role === 'admin'));
    const accountsHere = teamIds.filter(isAccount);

    // Final state first, so earlier threads know where to stop.
    let finalStart: number;
    switch (scenario) {
      case 'waiting':
        finalStart = now - rng.int(4, 13) * MIN;
        break;
      case 'overdue':
        finalStart = now - rng.int(18, 110) * MIN;
        break;
      case 'mention':
        finalStart = now - rng.int(8, 90) * MIN;
        break;
      case 'answered':
      case 'thanks':
        // A handled thread takes at most ~75 minutes; it must be over by `now`.
        finalStart = now - rng.int(80, 160) * MIN;
        break;
      case 'quiet':
        finalStart = now;
        break;
    }

    // Older conversations, each fully handled.
    if (scenario === 'quiet') {
      thread(historyStart - rng.int(2, 72) * 3600, 'thanks', true);
    } else {
      let cursor = historyStart + rng.int(0, 60) * MIN;
      const earlier = rng.int(1, 3);
      for (let k = 0; k < earlier && cursor + 80 * MIN < finalStart; k++) {
        const end = thread(cursor, rng.chance(0.4) ? 'thanks' : 'answered', true);
        cursor = end + rng.int(10, 50) * MIN;
      }
    }

    switch (scenario) {
      case 'waiting': {
        const q = client();
        send(finalStart, { chat, senderId: q, text: clientQuestion(rng, lang, t) });
        if (now - finalStart > 6 * MIN && rng.chance(0.5)) send(now - rng.int(1, 3) * MIN, { chat, senderId: q, text: clientFollowUp(rng, lang) });
        break;
      }
      case 'overdue': {
        const q = client();
        send(finalStart, { chat, senderId: q, text: clientQuestion(rng, lang, t) });
        if (rng.chance(0.3)) send(finalStart + MIN, { chat, senderId: q, text: '', content: { kind: 'document', fileName: documentName(rng, t) } });
        if (rng.chance(0.6)) send(now - rng.int(2, 12) * MIN, { chat, senderId: q, text: clientFollowUp(rng, lang) });
        break;
      }
      case 'mention': {
        const target = accountsHere.find((id) => byId.get(id)?.role === 'admin') ?? accountsHere[0] ?? admin();
        const member = byId.get(target);
        const coverer = teamIds.find((id) => id !== target && byId.get(id)?.role === 'admin');
        send(finalStart, { chat, senderId: client(), text: clientMention(rng, lang, member?.username ?? 'admin', t) });
        if (coverer !== undefined) {
          send(finalStart + rng.int(2, 7) * MIN, { chat, senderId: coverer, text: adminCoverFor(rng, lang, member?.name.split(' ')[0] ?? '') });
        }
        break;
      }
      case 'answered':
      case 'thanks':
        thread(finalStart, scenario, false);
        break;
      case 'quiet':
        break;
    }

    /**
     * One handled conversation starting at `t0`; returns when it ended. Accounts read along
     * (older threads) or leave the end unread (the final thread).
     */
    function thread(t0: number, ending: 'answered' | 'thanks', readAlong: boolean): number {
      const asker = client();
      const question: { msg?: SimMessageHandle } = {};
      let at = t0;
      if (rng.chance(0.1)) {
        // Wrote into the wrong chat, deleted it.
        const oops: { msg?: SimMessageHandle } = {};
        send(at, { chat, senderId: asker, text: lang === 'ru' ? 'Завтра в 10 созвон по бюджету, не забудьте' : 'Budget call tomorrow at 10' }, oops);
        plan.add(at + MIN, () => oops.msg && world.deleteMessages([oops.msg]));
        at += 2 * MIN;
      }
      const media = rng.next();
      if (media < 0.1) {
        send(at, { chat, senderId: asker, text: photoCaption(rng, lang), content: { kind: 'photo' } });
        at += MIN;
      }
      send(at, { chat, senderId: asker, text: clientQuestion(rng, lang, t) }, question);
      if (media >= 0.1 && media < 0.2) send(at + MIN, { chat, senderId: asker, text: '', content: { kind: 'document', fileName: documentName(rng, t) } });
      if (rng.chance(0.15)) {
        plan.add(at + rng.int(1, 3) * MIN, () => {
          if (!question.msg) return;
          const truth = world.messageTruth(question.msg);
          world.editMessage(question.msg, { text: `${truth.text}\n${lang === 'ru' ? 'Upd: ' : 'Upd: '}${logLine(rng, t)}`, date: at + 3 * MIN });
        });
      }
      if (rng.chance(0.2)) send(at + rng.int(4, 9) * MIN, { chat, senderId: asker, text: clientFollowUp(rng, lang) });
      const responder = admin();
      const late = rng.chance(0.15);
      const ackAt = at + (late ? rng.int(16, 40) : rng.int(2, 12)) * MIN;
      plan.add(ackAt, () =>
        world.sendMessage({ chat, senderId: responder, text: adminAck(rng, lang), replyTo: rng.chance(0.5) ? (question.msg ?? null) : null, date: ackAt }),
      );
      const fixAt = ackAt + rng.int(5, 25) * MIN;
      const fix: { msg?: SimMessageHandle } = {};
      send(fixAt, { chat, senderId: responder, text: adminFix(rng, lang, t) }, fix);
      if (rng.chance(0.1)) {
        plan.add(fixAt + MIN, () => {
          if (!fix.msg) return;
          world.editMessage(fix.msg, { text: `${world.messageTruth(fix.msg).text} ${lang === 'ru' ? 'Мониторинг зелёный.' : 'Monitoring is green.'}`, date: fixAt + MIN });
        });
      }
      let end = fixAt;
      if (ending === 'thanks') {
        end = fixAt + rng.int(1, 6) * MIN;
        if (rng.chance(0.3)) send(end, { chat, senderId: asker, text: '', content: { kind: 'sticker', emoji: rng.pick(STICKERS) } });
        else send(end, { chat, senderId: asker, text: clientThanks(rng, lang) });
        if (rng.chance(0.2)) plan.add(end + MIN, () => fix.msg && world.react(asker, fix.msg, '👍'));
        // Older threads get the last word from the team, so only the final thread ends on a thanks.
        if (readAlong) {
          end += rng.int(1, 3) * MIN;
          send(end, { chat, senderId: responder, text: adminClosing(rng, lang) });
        }
      }
      for (const acc of accountsHere) {
        if (acc === responder) continue;
        // Older threads are read before the final one starts, so its mentions stay unread.
        const readAt = end + rng.int(1, 30) * MIN;
        if (readAlong ? rng.chance(0.8) : rng.chance(0.4)) readLater(readAlong ? Math.min(readAt, finalStart - 60) : readAt, chat, acc);
      }
      return end;
    }
  }

  function planPrivateChats(): SimChatHandle[] {
    const out: SimChatHandle[] = [];
    const [a0, a1] = accounts;
    const m0 = managers[0];
    if (a0 && m0 && a0 !== m0) {
      const chat = world.ensurePrivateChat(a0.userId, m0.userId);
      out.push(chat);
      const at = now - rng.int(40, 200) * MIN;
      send(at, { chat, senderId: m0.userId, text: 'Привет! Сможешь сегодня взять ночное дежурство вместо Дениса?' });
      send(at + 4 * MIN, { chat, senderId: a0.userId, text: 'Привет, да, без проблем.' });
      send(at + 5 * MIN, { chat, senderId: m0.userId, text: 'Спасибо!' });
    }
    const someChat = plannedChats[0];
    const someClient = someChat?.clients[0];
    if (a1 && someChat && someClient) {
      const chat = world.ensurePrivateChat(a1.userId, someClient.userId);
      out.push(chat);
      const at = now - rng.int(20, 120) * MIN;
      send(at, {
        chat,
        senderId: someClient.userId,
        text: someChat.company.lang === 'ru' ? 'Добрый день, можно вопрос не в общий чат? Нужен доступ к биллингу для бухгалтера.' : 'Hi, can I ask outside the group? Our accountant needs billing access.',
      });
    }
    const [x, y] = rng.sample(admins, 2);
    if (x && y) {
      const chat = world.ensurePrivateChat(x.userId, y.userId);
      out.push(chat);
      const at = now - rng.int(60, 300) * MIN;
      send(at, { chat, senderId: x.userId, text: 'Скинь, пожалуйста, конфиг haproxy с lb-2, хочу сравнить.' });
      send(at + 3 * MIN, { chat, senderId: y.userId, text: '', content: { kind: 'document', fileName: 'haproxy.cfg' } });
    }
    return out;
  }
}

/** Shares of scenarios over the client chats, shuffled by seed. */
function scenarioList(rng: Rng, n: number): ClientChatScenario[] {
  const count = (share: number) => Math.max(1, Math.round(n * share));
  const list: ClientChatScenario[] = [
    ...Array<ClientChatScenario>(count(0.15)).fill('waiting'),
    ...Array<ClientChatScenario>(count(0.1)).fill('overdue'),
    ...Array<ClientChatScenario>(count(0.1)).fill('thanks'),
    ...Array<ClientChatScenario>(count(0.1)).fill('mention'),
    ...Array<ClientChatScenario>(Math.round(n * 0.1)).fill('quiet'),
  ].slice(0, n);
  while (list.length < n) list.push('answered');
  return rng.shuffle(list);
}

/**
 * DESIGN.md §3 without policy exclusions, over one chat's ground truth (oldest first): the
 * oldest client message since the last team message.
 */
export function computeWaitingSince(
  messages: readonly SimMessageTruth[],
  teamIds: ReadonlySet<number>,
  ignore: (m: SimMessageTruth) => boolean = () => false,
): number | null {
  let since: number | null = null;
  for (const m of messages) {
    if (m.deleted || m.kind === 'service') continue;
    if (teamIds.has(m.senderId)) since = null;
    else if (since === null && !ignore(m)) since = m.date;
  }
  return since;
}

/** A client message that says thanks (or just a sticker) rather than asking for something. */
export function isThanks(m: SimMessageTruth): boolean {
  return m.kind === 'sticker' || /^(спасибо|благодарю|ок, спасибо|супер, спасибо|thanks|thank you|great, thanks|ok, thanks)/i.test(m.text.trim());
}

