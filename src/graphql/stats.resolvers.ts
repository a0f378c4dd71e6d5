/**
 * Monitoring in the API: `stats`, `supportBoard` and `supportBoardChanged` (schema.graphql,
 * "Monitoring"). Presenters only: the figures come from src/app/stats.ts.
 */
import type { BoardChange, BoardRow, BoardSnapshot, MemberActivity, StatsResult } from '../app/stats.ts';
import type { ChatKind } from '../domain/classification.ts';
import { badInput } from '../domain/errors.ts';
import type { StatsGroupBy as DomainGroupBy, ResponseFigures as DomainFigures, Distribution } from '../domain/stats.ts';
import type * as G from './generated/resolvers-types.ts';
import type { ApiContext } from './mappers.ts';
import { abortable, type StreamHooks } from './subscriptions.ts';

type Parent<K extends keyof G.ResolversParentTypes> = G.ResolversParentTypes[K];

const GROUP_BY: Readonly<Record<G.StatsGroupBy, DomainGroupBy>> = { CHAT: 'chat', ADMIN: 'admin', SHIFT: 'shift', DAY: 'day', HOUR: 'hour' };
const GROUP_BY_NAME: Readonly<Record<DomainGroupBy, G.StatsGroupBy>> = { chat: 'CHAT', admin: 'ADMIN', shift: 'SHIFT', day: 'DAY', hour: 'HOUR' };

function validTimeZone(timeZone: string | null | undefined): string | null {
  if (timeZone === null || timeZone === undefined) return null;
  try {
    new Intl.DateTimeFormat('en', { timeZone });
  } catch {
    throw badInput(`unknown time zone "${timeZone.slice(0, 60)}"`, { argument: 'timeZone' });
  }
  return timeZone;
}

const seconds = (ms: number | null) => (ms === null ? null : ms / 1000);

function times(d: Distribution): Parent<'ResponseTimes'> {
  return { count: d.count, medianSeconds: seconds(d.medianMs), p90Seconds: seconds(d.p90Ms), meanSeconds: seconds(d.meanMs), maxSeconds: seconds(d.maxMs) };
}

function figures(f: DomainFigures): Parent<'ResponseFigures'> {
  return {
    waits: f.waits,
    answered: f.answered,
    acknowledged: f.acknowledged,
    open: f.open,
    overdue: f.overdue,
    answeredInTime: f.answeredInTime,
    shareInTime: f.shareInTime,
    first: times(f.first),
    next: times(f.next),
    all: times(f.all),
  };
}

function statsOf(ctx: ApiContext, r: StatsResult): Parent<'ResponseStats'> {
  const model = ctx.daemon.model;
  const member = (id: number) => model.roster.byId.get(id) ?? null;
  return {
    from: r.from,
    to: r.to,
    now: r.now,
    timeZone: r.timeZone,
    groupBy: r.groupBy === null ? null : GROUP_BY_NAME[r.groupBy],
    shiftSource: r.shiftSource,
    total: figures(r.total),
    groups: r.groups.map((g) => ({
      key: g.key,
      chat: r.groupBy === 'chat' ? (model.chats.get(g.key)?.record ?? null) : null,
      member: r.groupBy === 'admin' ? member(Number(g.key)) : null,
      window: g.window
        ? { start: g.window.start, end: g.window.end, members: g.window.members ? g.window.members.map(member).filter((m) => m !== null) : null }
        : null,
      figures: figures(g.figures),
    })),
  };
}

function boardChat(ctx: ApiContext, r: BoardRow): Parent<'BoardChat'> {
  const roster = ctx.daemon.model.roster.byId;
  return {
    chatId: r.chatKey,
    title: r.title,
    kind: r.kind as ChatKind,
    clientName: r.clientName,
    waitingSince: r.waitingSince,
    deadline: r.deadline,
    isOverdue: r.isOverdue,
    overdueSince: r.overdueSince,
    alarm: r.alarm ? { ...r.alarm, chatKey: r.chatKey } : null,
    acknowledged: r.acknowledged,
    isUnread: r.isUnread,
    mentionsOnDuty: r.mentionsOnDuty,
    responsible: r.responsible.map((id) => roster.get(id)).filter((m) => m !== undefined),
    lastTeamMessageAt: r.lastTeamMessageAt,
  };
}

function memberActivity(ctx: ApiContext, members: readonly MemberActivity[]): Parent<'MemberActivity'>[] {
  const out: Parent<'MemberActivity'>[] = [];
  for (const m of members) {
    const member = ctx.daemon.model.roster.byId.get(m.userId);
    if (!member) continue;
    out.push({
      member,
      onDuty: m.onDuty,
      onDutyUntil: m.onDutyUntil,
      nextOnDutyFrom: m.nextOnDutyFrom,
      lastActivityAt: m.lastActivityAt,
      lastActivityChatId: m.lastActivityChatKey,
    });
  }
  return out;
}

function board(ctx: ApiContext, b: BoardSnapshot): Parent<'SupportBoard'> {
  return { now: b.now, seq: b.seq, dutySchedules: b.dutySchedules, chats: b.rows.map((r) => boardChat(ctx, r)), counts: b.counts, members: memberActivity(ctx, b.members) };
}

function change(ctx: ApiContext, c: BoardChange): Parent<'SupportBoardChange'> {
  return { now: c.now, seq: c.seq, reset: c.reset, dutySchedules: c.dutySchedules, chats: c.rows.map((r) => boardChat(ctx, r)), counts: c.counts, members: memberActivity(ctx, c.members) };
}

/** Adds the monitoring fields to the API's resolvers (createResolvers calls this). */
export function withMonitoring(resolvers: G.Resolvers, streamHooks: (ctx: ApiContext) => StreamHooks): G.Resolvers {
  const Query: G.QueryResolvers = {
    stats: async (_, args, ctx) => {
      if (args.chatIds && args.chatIds.length > 1000) throw badInput('at most 1000 chatIds', { argument: 'chatIds' });
      const result = await ctx.daemon.monitoring.stats({
        from: args.from.getTime(),
        to: args.to.getTime(),
        groupBy: args.groupBy ? GROUP_BY[args.groupBy] : null,
        timeZone: validTimeZone(args.timeZone),
        chatKeys: args.chatIds ?? null,
      });
      return statsOf(ctx, result);
    },
    supportBoard: async (_, __, ctx) => board(ctx, await ctx.daemon.monitoring.board()),
  };
  const Subscription: G.SubscriptionResolvers = {
    supportBoardChanged: {
      subscribe: (_, __, ctx) =>
        abortable(async function* (signal) {
          for await (const c of ctx.daemon.monitoring.boardChanges(signal)) yield change(ctx, c);
        }, streamHooks(ctx)),
      resolve: (value: unknown) => value as Parent<'SupportBoardChange'>,
    },
  };
  return {
    ...resolvers,
    Query: { ...resolvers.Query, ...Query },
    Subscription: { ...resolvers.Subscription, ...Subscription },
  };
}
