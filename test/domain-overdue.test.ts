import { describe, expect, it } from 'vitest';
import type { SenderRef } from '../src/domain/ids.ts';
import {
  applyOverdueInput,
  dueChats,
  initialOverdueState,
  isOverdueAt,
  nextDeadline,
  recomputeOverdue,
  summarizeEpisodes,
  type Acknowledgement,
  type HistoryMessage,
  type OverdueChange,
  type OverdueContext,
  type OverdueInput,
  type OverdueState,
  type ResponseEpisode,
} from '../src/domain/overdue.ts';
import { compileOverduePolicy, isIgnoredClientMessage, normalizeForIgnore, type OverduePolicyConfig } from '../src/domain/overdue-policy.ts';
import { buildRoster } from '../src/domain/roster.ts';
import type { ContentKind } from '../src/domain/telegram.ts';
import { HOUR, MINUTE } from '../src/domain/time.ts';

const ADMIN = 1;
const MANAGER = 2;
const CLIENT = 100;
const CLIENT_2 = 101;
const roster = buildRoster([
  { userId: ADMIN, name: 'Anna', role: 'admin', source: 'config' },
  { userId: MANAGER, name: 'Max', role: 'manager', source: 'teamChat' },
]);
const ctxWith = (config: OverduePolicyConfig = {}): OverdueContext => ({ roster, policy: compileOverduePolicy(config) });
const ctx = ctxWith();

const T0 = Date.parse('2025-06-02T10:00:00Z');
const user = (id: number): SenderRef => ({ kind: 'user', id });

let nextId = 1;
function msg(
  sender: number | SenderRef,
  at: number,
  text = 'the server is down',
  extra: { id?: string; contentKind?: ContentKind; isService?: boolean } = {},
): OverdueInput & { kind: 'message' } {
  return {
    kind: 'message',
    message: {
      id: extra.id ?? `m${nextId++}`,
      sender: typeof sender === 'number' ? user(sender) : sender,
      at,
      isService: extra.isService ?? false,
      contentKind: extra.contentKind ?? 'text',
      text,
    },
  };
}

/** Runs inputs from a fresh state; returns the final state and every change. */
function run(inputs: readonly OverdueInput[], context: OverdueContext = ctx): { state: OverdueState; changes: OverdueChange[] } {
  let state = initialOverdueState('c1');
  const changes: OverdueChange[] = [];
  for (const input of inputs) {
    const step = applyOverdueInput(state, input, context);
    state = step.state;
    changes.push(...step.changes);
  }
  return { state, changes };
}

const episodes = (changes: readonly OverdueChange[]): ResponseEpisode[] =>
  changes.flatMap((c) => (c.kind === 'waitingEnded' ? [c.episode] : []));

describe('waiting starts and ends', () => {
  it('starts at a client message, with the deadline 15 minutes later by default', () => {
    const { state, changes } = run([msg(CLIENT, T0, 'hi', { id: 'a' })]);
    expect(state.waiting).toMatchObject({ since: T0, firstClientMessageId: 'a', deadline: T0 + 15 * MINUTE, overdueSince: null });
    expect(changes.map((c) => c.kind)).toEqual(['waitingStarted']);
    expect(isOverdueAt(state, T0 + 15 * MINUTE - 1)).toBe(false);
    expect(isOverdueAt(state, T0 + 15 * MINUTE)).toBe(true);
  });

  it('keeps the oldest client message as waiting since', () => {
    const { state, changes } = run([msg(CLIENT, T0, 'hi', { id: 'a' }), msg(CLIENT_2, T0 + 5 * MINUTE, 'anyone?', { id: 'b' })]);
    expect(state.waiting?.since).toBe(T0);
    expect(state.waiting?.firstClientMessageId).toBe('a');
    expect(state.waiting?.pending.map((p) => p.id)).toEqual(['a', 'b']);
    expect(changes.map((c) => c.kind)).toEqual(['waitingStarted']);
  });

  it('ends at a team member reply, answered in time', () => {
    const { state, changes } = run([msg(CLIENT, T0, 'hi', { id: 'a' }), msg(MANAGER, T0 + 3 * MINUTE, 'looking')]);
    expect(state.waiting).toBeNull();
    expect(episodes(changes)).toEqual([
      {
        chatKey: 'c1',
        kind: 'first',
        startedAt: T0,
        firstClientMessageId: 'a',
        endedAt: T0 + 3 * MINUTE,
        endedBy: 'reply',
        answeredBy: MANAGER,
        becameOverdueAt: null,
      },
    ]);
  });

  it('ends at an acknowledgement', () => {
    const { state, changes } = run([msg(CLIENT, T0), { kind: 'ack', by: ADMIN, at: T0 + MINUTE }]);
    expect(state.waiting).toBeNull();
    expect(episodes(changes)).toMatchObject([{ endedBy: 'ack', answeredBy: ADMIN, endedAt: T0 + MINUTE }]);
  });

  it('ignores an acknowledgement and a team message when nothing waits', () => {
    const { state, changes } = run([msg(ADMIN, T0, 'good morning'), { kind: 'ack', by: ADMIN, at: T0 + MINUTE }]);
    expect(state.waiting).toBeNull();
    expect(changes).toEqual([]);
  });

  it('waits again at the next client message after an acknowledgement', () => {
    const { state } = run([msg(CLIENT, T0), { kind: 'ack', by: ADMIN, at: T0 + MINUTE }, msg(CLIENT, T0 + 2 * MINUTE, 'one more thing')]);
    expect(state.waiting?.since).toBe(T0 + 2 * MINUTE);
  });

  it('treats a message sent on behalf of a chat as the client', () => {
    const { state } = run([msg({ kind: 'chat', id: -100500 }, T0)]);
    expect(state.waiting?.since).toBe(T0);
  });

  it('never counts service messages', () => {
    const { state, changes } = run([msg(CLIENT, T0, '', { contentKind: 'service', isService: true })]);
    expect(state.waiting).toBeNull();
    expect(state.lastMessageAt).toBeNull();
    expect(changes).toEqual([]);
  });
});

describe('overdue', () => {
  it('flips at the deadline instant, dated at the deadline even when observed later', () => {
    const started = run([msg(CLIENT, T0)]).state;
    const early = applyOverdueInput(started, { kind: 'tick', at: T0 + 15 * MINUTE - 1 }, ctx);
    expect(early.changes).toEqual([]);
    const late = applyOverdueInput(started, { kind: 'tick', at: T0 + 40 * MINUTE }, ctx);
    expect(late.changes).toMatchObject([{ kind: 'becameOverdue', at: T0 + 15 * MINUTE }]);
    expect(late.state.waiting?.overdueSince).toBe(T0 + 15 * MINUTE);
    expect(applyOverdueInput(late.state, { kind: 'tick', at: T0 + 41 * MINUTE }, ctx).changes).toEqual([]);
  });

  it('records a late reply as overdue without any tick', () => {
    const { changes } = run([msg(CLIENT, T0), msg(ADMIN, T0 + 20 * MINUTE, 'sorry')]);
    expect(changes.map((c) => c.kind)).toEqual(['waitingStarted', 'becameOverdue', 'waitingEnded']);
    expect(episodes(changes)[0]!.becameOverdueAt).toBe(T0 + 15 * MINUTE);
  });

  it('counts a reply at the deadline instant itself as late', () => {
    const { changes } = run([msg(CLIENT, T0), msg(ADMIN, T0 + 15 * MINUTE, 'here')]);
    expect(episodes(changes)[0]!.becameOverdueAt).toBe(T0 + 15 * MINUTE);
  });

  it('uses the policy threshold', () => {
    const { state } = run([msg(CLIENT, T0)], ctxWith({ thresholdMinutes: 5 }));
    expect(state.waiting?.deadline).toBe(T0 + 5 * MINUTE);
  });

  it('moves the deadline when the chat is given another policy', () => {
    const started = run([msg(CLIENT, T0)]).state;
    const step = applyOverdueInput(started, { kind: 'policyChanged', at: T0 + 10 * MINUTE }, ctxWith({ thresholdMinutes: 5 }));
    expect(step.changes).toMatchObject([{ kind: 'waitingMoved', reason: 'policy' }]);
    expect(step.state.waiting).toMatchObject({ deadline: T0 + 5 * MINUTE, overdueSince: T0 + 5 * MINUTE });
    const relaxed = applyOverdueInput(step.state, { kind: 'policyChanged', at: T0 + 11 * MINUTE }, ctxWith({ thresholdMinutes: 60 }));
    expect(relaxed.state.waiting).toMatchObject({ deadline: T0 + HOUR, overdueSince: null });
  });

  it('counts business hours only, across the DST change', () => {
    const context = ctxWith({
      businessHours: { timeZone: 'Europe/Berlin', intervals: [1, 2, 3, 4, 5].map((day) => ({ day: day as 1, from: '09:00', to: '18:00' })) },
    });
    // Friday 28 March 2025 17:55 CET; overdue on Monday 09:10 CEST.
    const friday = Date.parse('2025-03-28T16:55:00Z');
    const { state } = run([msg(CLIENT, friday)], context);
    expect(state.waiting?.deadline).toBe(Date.parse('2025-03-31T07:10:00Z'));
    const weekend = applyOverdueInput(state, { kind: 'tick', at: Date.parse('2025-03-30T12:00:00Z') }, context);
    expect(weekend.state.waiting?.overdueSince).toBeNull();
  });
});

describe('ignore list', () => {
  const policy = compileOverduePolicy();

  it.each(['спасибо', 'Спасибо!', 'СПАСИБО БОЛЬШОЕ!!!', 'thanks', 'Thank you.', 'ok', 'OK!', 'ок', 'Ок, спасибо', 'ok thanks 🙏', '👍', '👍🏻👍', '  okay...  ', 'Понял, спасибо'])(
    'does not start waiting for %j',
    (text) => {
      expect(isIgnoredClientMessage(policy, { contentKind: 'text', text })).toBe(true);
      expect(run([msg(CLIENT, T0, text)]).state.waiting).toBeNull();
    },
  );

  it.each(['ok, but 502 again', 'спасибо, но сайт опять лежит', 'thanks?!! still down', '?', 'okey dokey', 'token'])('starts waiting for %j', (text) => {
    expect(isIgnoredClientMessage(policy, { contentKind: 'text', text })).toBe(false);
    expect(run([msg(CLIENT, T0, text)]).state.waiting).not.toBeNull();
  });

  it('ignores stickers unless the policy says otherwise', () => {
    expect(run([msg(CLIENT, T0, '', { contentKind: 'sticker' })]).state.waiting).toBeNull();
    expect(run([msg(CLIENT, T0, '', { contentKind: 'sticker' })], ctxWith({ ignoreStickers: false })).state.waiting).not.toBeNull();
  });

  it('never ignores media, even captioned "ok"', () => {
    expect(run([msg(CLIENT, T0, 'ok', { contentKind: 'photo' })]).state.waiting).not.toBeNull();
  });

  it('takes configured phrases and /regular expressions/', () => {
    const custom = ctxWith({ ignorePatterns: ['принято в работу', '/^\\+\\d+$/'] });
    expect(run([msg(CLIENT, T0, 'Принято в работу.')], custom).state.waiting).toBeNull();
    expect(run([msg(CLIENT, T0, '+100')], custom).state.waiting).toBeNull();
    // The configured list replaces the defaults.
    expect(run([msg(CLIENT, T0, 'thanks')], custom).state.waiting).not.toBeNull();
  });

  it('rejects an invalid regular expression', () => {
    expect(() => compileOverduePolicy({ ignorePatterns: ['/(/'] })).toThrow(/not a valid regular expression/);
  });

  it('folds case, ё, punctuation and emoji modifiers', () => {
    expect(normalizeForIgnore('  Всё ОК!!! 👍🏽 ')).toBe('все ок 👍');
  });

  it('answers as matching the whole normalized text would, for texts of every shape', () => {
    // The check skips normalizing texts with a letter no phrase has; it must never change an answer.
    const custom = compileOverduePolicy({ ignorePatterns: ['принято в работу', 'ok 2', 'всё хорошо'] });
    const pieces = ['спасибо', 'СПАСИБО', 'Всё', 'ВСЁ', 'хорошо', 'ок', 'OK', 'ｏｋ', 'thanks', 'Thank', 'you', '👍', '👍🏽', '🙏', '!!!', '...', ',', '2', '502', 'db-prod-2', 'ёж', 'принято', 'в', 'работу', 'ﬁ', 'x', 'spasibo'];
    let seed = 7;
    const pick = (n: number) => ((seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648) >>> 8) % n;
    const texts = ['Всё хорошо', 'ВСЁ ХОРОШО!', 'всё хорошо 👍', 'OK 2', 'ｏｋ', 'Принято в работу.'];
    for (let i = 0; i < 3000; i++) texts.push(Array.from({ length: 1 + pick(3) }, () => pieces[pick(pieces.length)]).join(pick(4) ? ' ' : ''));
    let ignored = 0;
    for (const p of [policy, custom]) {
      const whole = new RegExp(p.ignorePhrases!.source, 'u');
      for (const text of texts) {
        const normalized = normalizeForIgnore(text.trim());
        const expected = normalized !== '' && whole.test(normalized);
        expect(isIgnoredClientMessage(p, { contentKind: 'text', text }), text).toBe(expected);
        if (expected) ignored++;
      }
    }
    // Both answers occur often, so a check that always said one of them would fail.
    expect(ignored).toBeGreaterThan(200);
    expect(ignored).toBeLessThan(texts.length * 2 - 200);
  });

  it('still counts an ignored message as chat activity', () => {
    expect(run([msg(CLIENT, T0, 'thanks')]).state.lastMessageAt).toBe(T0);
  });
});

describe('edits and deletions', () => {
  it('does not restart waiting on an edit', () => {
    const { state, changes } = run([
      msg(CLIENT, T0, 'hi', { id: 'a' }),
      msg(ADMIN, T0 + MINUTE, 'yes?'),
      { kind: 'edited', messageId: 'a', at: T0 + 2 * MINUTE },
    ]);
    expect(state.waiting).toBeNull();
    expect(changes.map((c) => c.kind)).toEqual(['waitingStarted', 'waitingEnded']);
  });

  it('does not move waiting since when the first message is edited', () => {
    const { state } = run([msg(CLIENT, T0, 'hi', { id: 'a' }), { kind: 'edited', messageId: 'a', at: T0 + 5 * MINUTE }]);
    expect(state.waiting?.since).toBe(T0);
  });

  it('restarts at the next client message when the first one is deleted', () => {
    const { state, changes } = run([
      msg(CLIENT, T0, 'hi', { id: 'a' }),
      msg(CLIENT, T0 + 4 * MINUTE, 'db is slow', { id: 'b' }),
      { kind: 'deleted', messageIds: ['a'], at: T0 + 5 * MINUTE },
    ]);
    expect(state.waiting).toMatchObject({ since: T0 + 4 * MINUTE, firstClientMessageId: 'b', deadline: T0 + 19 * MINUTE });
    expect(changes.at(-1)).toMatchObject({ kind: 'waitingMoved', reason: 'deleted' });
  });

  it('clears overdue when the deletion moves the deadline into the future', () => {
    const { state } = run([
      msg(CLIENT, T0, 'hi', { id: 'a' }),
      msg(CLIENT, T0 + 10 * MINUTE, 'hello?', { id: 'b' }),
      { kind: 'tick', at: T0 + 16 * MINUTE },
      { kind: 'deleted', messageIds: ['a'], at: T0 + 17 * MINUTE },
    ]);
    expect(state.waiting).toMatchObject({ since: T0 + 10 * MINUTE, overdueSince: null });
    expect(isOverdueAt(state, T0 + 17 * MINUTE)).toBe(false);
  });

  it('cancels the wait without an episode when every client message of it is deleted', () => {
    const { state, changes } = run([msg(CLIENT, T0, 'oops', { id: 'a' }), { kind: 'deleted', messageIds: ['a'], at: T0 + MINUTE }]);
    expect(state.waiting).toBeNull();
    expect(changes.map((c) => c.kind)).toEqual(['waitingStarted', 'waitingCancelled']);
  });

  it('keeps waiting since when a later client message is deleted', () => {
    const { state, changes } = run([
      msg(CLIENT, T0, 'hi', { id: 'a' }),
      msg(CLIENT, T0 + MINUTE, 'typo', { id: 'b' }),
      { kind: 'deleted', messageIds: ['b'], at: T0 + 2 * MINUTE },
    ]);
    expect(state.waiting?.since).toBe(T0);
    expect(state.waiting?.pending.map((p) => p.id)).toEqual(['a']);
    expect(changes.map((c) => c.kind)).toEqual(['waitingStarted']);
  });

  it('does not reopen an answered wait when the reply is deleted', () => {
    const { state } = run([
      msg(CLIENT, T0, 'hi', { id: 'a' }),
      msg(ADMIN, T0 + MINUTE, 'on it', { id: 'r' }),
      { kind: 'deleted', messageIds: ['r', 'a'], at: T0 + 2 * MINUTE },
    ]);
    expect(state.waiting).toBeNull();
  });
});

describe('first and next responses', () => {
  it('calls a wait "first" after a quiet chat and "next" inside a conversation', () => {
    const { changes } = run([
      msg(CLIENT, T0),
      msg(ADMIN, T0 + 2 * MINUTE, 'checking'),
      msg(CLIENT, T0 + 30 * MINUTE, 'and now?'),
      msg(ADMIN, T0 + 31 * MINUTE, 'fixed'),
      msg(CLIENT, T0 + 31 * MINUTE + 5 * HOUR, 'new problem'),
      msg(ADMIN, T0 + 32 * MINUTE + 5 * HOUR, 'looking'),
    ]);
    expect(episodes(changes).map((e) => e.kind)).toEqual(['first', 'next', 'first']);
  });

  it('summarizes response times and the share answered in time', () => {
    const { changes } = run([
      msg(CLIENT, T0),
      msg(ADMIN, T0 + 2 * MINUTE, 'a'),
      msg(CLIENT, T0 + 10 * MINUTE),
      msg(ADMIN, T0 + 30 * MINUTE, 'b'),
      msg(CLIENT, T0 + 40 * MINUTE),
      { kind: 'ack', by: MANAGER, at: T0 + 44 * MINUTE },
    ]);
    const summary = summarizeEpisodes(episodes(changes));
    expect(summary.first).toEqual({ count: 1, answeredInTime: 1, shareInTime: 1, medianResponseMs: 2 * MINUTE, maxResponseMs: 2 * MINUTE });
    expect(summary.next).toEqual({ count: 2, answeredInTime: 1, shareInTime: 0.5, medianResponseMs: 12 * MINUTE, maxResponseMs: 20 * MINUTE });
    expect(summary.all.count).toBe(3);
    expect(summarizeEpisodes([]).all.shareInTime).toBeNull();
  });
});

describe('recompute after a restart', () => {
  const history = (messages: HistoryMessage[], acks: Acknowledgement[] = []) => ({ messages, acks });
  const hm = (id: string, sender: number, at: number, text = 'help', deletedAt: number | null = null): HistoryMessage => ({
    id,
    sender: user(sender),
    at,
    isService: false,
    contentKind: 'text',
    text,
    deletedAt,
  });

  it('finds a deadline that passed while the daemon was down, dated at the deadline', () => {
    const result = recomputeOverdue('c1', history([hm('a', CLIENT, T0)]), ctx, T0 + HOUR);
    expect(result.state.waiting).toMatchObject({ since: T0, overdueSince: T0 + 15 * MINUTE });
    expect(result.changes.at(-1)).toMatchObject({ kind: 'becameOverdue', at: T0 + 15 * MINUTE });
  });

  it('rebuilds episodes from replies and acknowledgements', () => {
    const result = recomputeOverdue(
      'c1',
      history([hm('a', CLIENT, T0), hm('r', ADMIN, T0 + 20 * MINUTE, 'sorry'), hm('b', CLIENT, T0 + 30 * MINUTE)], [{ by: MANAGER, at: T0 + 32 * MINUTE }]),
      ctx,
      T0 + HOUR,
    );
    expect(result.state.waiting).toBeNull();
    expect(result.episodes).toMatchObject([
      { firstClientMessageId: 'a', endedBy: 'reply', answeredBy: ADMIN, becameOverdueAt: T0 + 15 * MINUTE, kind: 'first' },
      { firstClientMessageId: 'b', endedBy: 'ack', answeredBy: MANAGER, becameOverdueAt: null, kind: 'next' },
    ]);
  });

  it('does not count a deleted client message that started the wait', () => {
    const result = recomputeOverdue('c1', history([hm('a', CLIENT, T0, 'x', T0 + MINUTE), hm('b', CLIENT, T0 + 10 * MINUTE)]), ctx, T0 + 20 * MINUTE);
    expect(result.state.waiting).toMatchObject({ since: T0 + 10 * MINUTE, firstClientMessageId: 'b', overdueSince: null });
  });

  it('applies an acknowledgement given at the same instant as the last message after it', () => {
    const result = recomputeOverdue('c1', history([hm('a', CLIENT, T0)], [{ by: ADMIN, at: T0 }]), ctx, T0 + HOUR);
    expect(result.state.waiting).toBeNull();
  });

  it('leaves out what happened after now', () => {
    const result = recomputeOverdue('c1', history([hm('a', CLIENT, T0), hm('r', ADMIN, T0 + 10 * MINUTE)]), ctx, T0 + 5 * MINUTE);
    expect(result.state.waiting?.since).toBe(T0);
  });

  it('reaches the same state and episodes as the live clock, for random histories', () => {
    // A small deterministic PRNG so a failure can be replayed.
    let seed = 12345;
    const rand = (): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed / 0x80000000;
    };
    const seen = new Set<string>();
    for (let round = 0; round < 200; round++) {
      const messages: HistoryMessage[] = [];
      const acks: Acknowledgement[] = [];
      const live: OverdueInput[] = [];
      let t = T0;
      const alive: string[] = [];
      for (let i = 0; i < 30; i++) {
        t += Math.floor(rand() * 20 * MINUTE) + 1;
        const r = rand();
        if (r < 0.45) {
          const id = `r${round}m${i}`;
          const text = rand() < 0.15 ? 'thanks' : 'problem';
          messages.push(hm(id, rand() < 0.5 ? CLIENT : CLIENT_2, t, text));
          live.push(msg(messages.at(-1)!.sender, t, text, { id }));
          alive.push(id);
        } else if (r < 0.7) {
          const id = `r${round}m${i}`;
          messages.push(hm(id, rand() < 0.5 ? ADMIN : MANAGER, t, 'answer'));
          live.push(msg(messages.at(-1)!.sender, t, 'answer', { id }));
        } else if (r < 0.8) {
          acks.push({ by: ADMIN, at: t });
          live.push({ kind: 'ack', by: ADMIN, at: t });
        } else if (r < 0.9 && alive.length > 0) {
          const id = alive.splice(Math.floor(rand() * alive.length), 1)[0]!;
          const index = messages.findIndex((m) => m.id === id);
          messages[index] = { ...messages[index]!, deletedAt: t };
          live.push({ kind: 'deleted', messageIds: [id], at: t });
        } else {
          live.push({ kind: 'tick', at: t });
        }
      }
      const now = t + Math.floor(rand() * HOUR);
      live.push({ kind: 'tick', at: now });
      const liveRun = run(live);
      const rebuilt = recomputeOverdue('c1', { messages, acks }, ctx, now);
      expect(rebuilt.state).toEqual(liveRun.state);
      expect(rebuilt.episodes).toEqual(episodes(liveRun.changes));
      for (const c of liveRun.changes) seen.add(c.kind === 'waitingEnded' ? `ended:${c.episode.endedBy}` : c.kind);
    }
    // The histories must have exercised every path, or the comparison proves little.
    expect([...seen].sort()).toEqual(['becameOverdue', 'ended:ack', 'ended:reply', 'waitingCancelled', 'waitingMoved', 'waitingStarted']);
  });
});

describe('one timer for many chats', () => {
  const waitingAt = (chatKey: string, at: number): OverdueState => {
    const s = applyOverdueInput(initialOverdueState(chatKey), msg(CLIENT, at), ctx).state;
    return s;
  };

  it('names the earliest deadline not yet reached', () => {
    const states = [waitingAt('b', T0 + 5 * MINUTE), waitingAt('a', T0), waitingAt('c', T0 + MINUTE), initialOverdueState('idle')];
    expect(nextDeadline(states)).toEqual({ chatKey: 'a', at: T0 + 15 * MINUTE });
    const aOverdue = applyOverdueInput(states[1]!, { kind: 'tick', at: T0 + 15 * MINUTE }, ctx).state;
    expect(nextDeadline([states[0]!, aOverdue, states[2]!])).toEqual({ chatKey: 'c', at: T0 + 16 * MINUTE });
    expect(nextDeadline([aOverdue, initialOverdueState('idle')])).toBeNull();
  });

  it('lists the chats due at a tick', () => {
    const states = [waitingAt('a', T0), waitingAt('b', T0 + 10 * MINUTE)];
    expect(dueChats(states, T0 + 15 * MINUTE)).toEqual(['a']);
    expect(dueChats(states, T0 + 25 * MINUTE)).toEqual(['a', 'b']);
  });
});
