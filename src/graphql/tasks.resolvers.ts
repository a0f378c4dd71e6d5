/**
 * Resolvers of the task and portal part of schema.graphql: presenters over the app's `Tasks`
 * and `PortalOutbox`, merged into the resolver map by `withTaskResolvers`. Roles are checked as
 * everywhere else (auth.ts), before any argument is looked at.
 */
import type { GraphQLResolveInfo } from 'graphql';
import { actorOf } from '../app/tokens.ts';
import { badInput } from '../domain/errors.ts';
import type { DomainEvent } from '../domain/events.ts';
import type { TaskHeader } from '../domain/tasks.ts';
import { MUTATION_ROLES, QUERY_ROLES, requireRole } from './auth.ts';
import type * as G from './generated/resolvers-types.ts';
import { pageSize } from './limits.ts';
import type { ApiContext, UserParent } from './mappers.ts';
import type { MessageView } from '../app/queries.ts';
import { eventStream, isStreamError, unwrapStreamValue, type StreamError, type StreamHooks } from './subscriptions.ts';
import type { TaskChangeParent } from './tasks.mappers.ts';

type Strict<R, P, S> = R & { [K in Exclude<keyof S, keyof P | '__typename'> & keyof R]-?: NonNullable<R[K]> };

function idArg(name: string, value: string | null | undefined): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (!/^[1-9]\d{0,14}$/.test(value)) throw badInput(`${name} is not a valid id`, { argument: name });
  return value;
}

/** A team member's id as `123` or as a sender id `u123`. */
function userIdArg(name: string, value: string | null | undefined): number | undefined {
  if (value === undefined || value === null) return undefined;
  const m = /^u?([1-9]\d{0,14})$/.exec(value);
  if (!m) throw badInput(`${name} is not a user id`, { argument: name });
  return Number(m[1]);
}

function userOf(ctx: ApiContext, id: number): UserParent {
  const u = ctx.daemon.model.users.get(id);
  return { id, name: u?.name ?? ctx.daemon.model.roster.byId.get(id)?.name ?? `user ${id}`, username: u?.username ?? null };
}

function chatOf(ctx: ApiContext, chatKey: string) {
  return ctx.daemon.model.chats.get(chatKey)?.record ?? ctx.daemon.queries.chat(chatKey);
}

const PAGE_INFO_NONE = { hasPreviousPage: false, startCursor: null };

/**
 * `Message.tasks` for every message of a response in one query: the first call of a tick
 * collects the ids asked for in that tick, then reads them together.
 */
const messageTaskLoads = new WeakMap<ApiContext, { ids: Set<number>; result: Promise<Map<number, TaskHeader[]>> | null }>();

export function messageTasks(m: MessageView, _args: unknown, ctx: ApiContext): Promise<TaskHeader[]> {
  let batch = messageTaskLoads.get(ctx);
  if (!batch || batch.result !== null) {
    const fresh: { ids: Set<number>; result: Promise<Map<number, TaskHeader[]>> | null } = { ids: new Set(), result: null };
    messageTaskLoads.set(ctx, fresh);
    batch = fresh;
    fresh.result = new Promise<void>((resolve) => setImmediate(resolve)).then(() => ctx.daemon.tasks.tasksOfMessages([...fresh.ids]));
  }
  batch.ids.add(m.id);
  return batch.result!.then((byMessage) => byMessage.get(m.id) ?? []);
}

/** Keeps a stream's `return()` direct, so a closed subscription stops waiting at once (subscriptions.ts). */
function filtered<T, U extends T>(inner: AsyncIterableIterator<T>, keep: (value: T) => value is U): AsyncIterableIterator<U> {
  const iterator: AsyncIterableIterator<U> = {
    async next() {
      for (;;) {
        const r = await inner.next();
        if (r.done || keep(r.value)) return r as IteratorResult<U>;
      }
    },
    return: (value?: unknown) => inner.return!(value) as Promise<IteratorResult<U>>,
    throw: (error?: unknown) => inner.throw!(error) as Promise<IteratorResult<U>>,
    [Symbol.asyncIterator]: () => iterator,
  };
  return iterator;
}

type TaskEvent = Extract<DomainEvent, { type: 'taskChanged' }>;

/** Checks the roles of a task mutation, as `guarded` does for the others. */
function guard<A, R>(name: keyof typeof MUTATION_ROLES, resolve: (args: A, ctx: ApiContext) => R) {
  return (_parent: unknown, args: A, ctx: ApiContext, _info?: GraphQLResolveInfo) => {
    requireRole(ctx.principal, MUTATION_ROLES[name], name);
    return resolve(args, ctx);
  };
}

function queryGuard(ctx: ApiContext, name: keyof typeof QUERY_ROLES): void {
  const roles = QUERY_ROLES[name];
  if (roles) requireRole(ctx.principal, roles, name);
}

export function taskResolvers(streamHooks: (ctx: ApiContext) => StreamHooks) {
  const Query: Pick<Required<G.QueryResolvers>, 'tasks' | 'task' | 'resolveLink' | 'portalDeliveries' | 'portalStatus'> = {
    tasks: async (_, args, ctx) => {
      const first = pageSize('tasks', args.first);
      const page = await ctx.daemon.tasks.tasks({
        status: args.status ?? null,
        chatKey: args.chatId ?? null,
        assigneeId: userIdArg('assigneeId', args.assigneeId) ?? null,
        first,
        after: args.after ?? null,
      });
      const edges = page.nodes.map((node) => ({ cursor: node.id, node }));
      return {
        edges,
        nodes: page.nodes,
        pageInfo: { ...PAGE_INFO_NONE, hasPreviousPage: Boolean(args.after), startCursor: edges[0]?.cursor ?? null, hasNextPage: page.hasNextPage, endCursor: page.endCursor },
        totalCount: page.totalCount,
      };
    },
    task: (_, args, ctx) => ctx.daemon.tasks.task(args.id),
    resolveLink: async (_, args, ctx) => {
      if (args.link.length > 2000) throw badInput('the link is too long', { argument: 'link' });
      return ctx.daemon.tasks.resolveLink(args.link);
    },
    portalDeliveries: async (_, args, ctx) => {
      queryGuard(ctx, 'portalDeliveries');
      const page = await ctx.daemon.portalOutbox.list({
        state: args.state ?? 'dead',
        taskId: idArg('taskId', args.taskId) ?? null,
        first: pageSize('portalDeliveries', args.first),
        after: idArg('after', args.after) ?? null,
      });
      return { nodes: page.nodes, pageInfo: { ...PAGE_INFO_NONE, hasPreviousPage: Boolean(args.after), startCursor: page.nodes[0] ? String(page.nodes[0].id) : null, hasNextPage: page.hasNextPage, endCursor: page.endCursor } };
    },
    portalStatus: (_, __, ctx) => {
      queryGuard(ctx, 'portalStatus');
      return ctx.daemon.portalOutbox.status();
    },
  };

  const Mutation: Pick<Required<G.MutationResolvers>, 'createTask' | 'markMessageAsTask' | 'closeTask' | 'reopenTask' | 'updateTask' | 'retryPortalDeliveries'> = {
    createTask: guard('createTask', (args: G.MutationCreateTaskArgs, ctx) =>
      ctx.daemon.tasks.createTask(actorOf(ctx.principal), {
        chatKey: args.chatId,
        messageIds: args.messageIds,
        title: args.title ?? null,
        description: args.description ?? null,
        assigneeId: userIdArg('assigneeId', args.assigneeId) ?? null,
      }),
    ),
    markMessageAsTask: guard('markMessageAsTask', (args: G.MutationMarkMessageAsTaskArgs, ctx) => ctx.daemon.tasks.markMessageAsTask(actorOf(ctx.principal), args.chatId, args.messageId)),
    closeTask: guard('closeTask', (args: G.MutationCloseTaskArgs, ctx) => ctx.daemon.tasks.closeTask(actorOf(ctx.principal), args.id)),
    reopenTask: guard('reopenTask', (args: G.MutationReopenTaskArgs, ctx) => ctx.daemon.tasks.reopenTask(actorOf(ctx.principal), args.id)),
    updateTask: guard('updateTask', (args: G.MutationUpdateTaskArgs, ctx) =>
      ctx.daemon.tasks.updateTask(actorOf(ctx.principal), args.id, {
        ...(args.title !== undefined && args.title !== null ? { title: args.title } : {}),
        ...(args.description !== undefined && args.description !== null ? { description: args.description } : {}),
        ...(args.unassign ? { assigneeId: null } : args.assigneeId ? { assigneeId: userIdArg('assigneeId', args.assigneeId)! } : {}),
      }),
    ),
    retryPortalDeliveries: guard('retryPortalDeliveries', (args: G.MutationRetryPortalDeliveriesArgs, ctx) => {
      if (args.ids && args.ids.length > 1000) throw badInput('at most 1000 ids', { argument: 'ids' });
      return ctx.daemon.portalOutbox.retry(actorOf(ctx.principal), args.ids ? args.ids.map((id) => idArg('ids', id)!) : null);
    }),
  };

  const Subscription: Pick<Required<G.SubscriptionResolvers>, 'taskChanged'> = {
    taskChanged: {
      subscribe: (_, args, ctx) => {
        const keep = (e: DomainEvent | StreamError): e is TaskEvent | StreamError => isStreamError(e) || (e.type === 'taskChanged' && (!args.chatId || e.chatKey === args.chatId));
        return filtered(eventStream(ctx, args.after, streamHooks(ctx)), keep) as never;
      },
      resolve: (value: unknown): TaskChangeParent => {
        const e = unwrapStreamValue(value as TaskEvent | StreamError);
        return { seq: e.seq, at: e.at, change: e.change, task: e.task };
      },
    },
  };

  const types = {
    TaskStatus: { OPEN: 'open', CLOSED: 'closed' },
    TaskChangeKind: { CREATED: 'created', UPDATED: 'updated', CLOSED: 'closed', REOPENED: 'reopened' },
    TaskSource: { TGDESK: 'tgdesk', PORTAL: 'portal' },
    PortalDeliveryState: { PENDING: 'pending', DELIVERED: 'delivered', DEAD: 'dead' },
    Task: {
      chat: (t, _, ctx) => chatOf(ctx, t.chatKey),
      assignee: (t, _, ctx) => (t.assigneeId === null ? null : userOf(ctx, t.assigneeId)),
      createdAt: (t) => t.createdAt,
      updatedAt: (t) => t.updatedAt,
      closedAt: (t) => t.closedAt,
      anchorMessageId: (t) => String(t.anchorMessageId),
      messageIds: (t) => t.messageIds.map(String),
      messages: (t, _, ctx) => ctx.daemon.tasks.taskMessages(t.id),
    } satisfies Strict<G.TaskResolvers, TaskHeader, G.Task>,
    TaskActor: {
      user: (a, _, ctx) => (a.userId === null ? null : userOf(ctx, a.userId)),
    } satisfies Strict<G.TaskActorResolvers, import('./tasks.mappers.ts').TaskActorParent, G.TaskActor>,
    TaskMessage: {
      id: (m) => String(m.messageId),
      sender: (m, _, ctx) => ({
        id: m.senderKey,
        userId: m.senderUserId,
        name: m.senderName,
        username: m.senderUserId === null ? null : (ctx.daemon.model.users.get(m.senderUserId)?.username ?? null),
      }),
      date: (m) => m.sentAt,
    } satisfies Strict<G.TaskMessageResolvers, import('./tasks.mappers.ts').TaskMessageParent, G.TaskMessage>,
    TaskConnection: {},
    TaskEdge: {},
    LinkTarget: {
      chat: (l, _, ctx) => chatOf(ctx, l.chatKey),
      messageId: (l) => String(l.messageId),
    } satisfies Strict<G.LinkTargetResolvers, import('./tasks.mappers.ts').LinkTargetParent, G.LinkTarget>,
    TaskChange: {},
    TaskChangedEvent: { chatId: (e) => e.chatKey } satisfies Strict<G.TaskChangedEventResolvers, import('./tasks.mappers.ts').TaskChangedEventParent, G.TaskChangedEvent>,
    PortalDelivery: {
      id: (d) => String(d.id),
      taskId: (d) => String(d.taskId),
      sequence: (d) => d.seq,
      nextAttemptAt: (d) => (d.state === 'pending' ? d.nextAttemptAt : null),
      body: (d) => JSON.parse(d.body) as unknown,
    } satisfies Strict<G.PortalDeliveryResolvers, import('./tasks.mappers.ts').PortalDeliveryParent, G.PortalDelivery>,
    PortalDeliveryConnection: {},
    PortalStatus: {},
  } satisfies Partial<G.Resolvers>;

  return { Query, Mutation, Subscription, types };
}

/** The resolver map with the task and portal resolvers merged in. */
export function withTaskResolvers(resolvers: G.Resolvers, streamHooks: (ctx: ApiContext) => StreamHooks): G.Resolvers {
  const t = taskResolvers(streamHooks);
  return {
    ...resolvers,
    ...t.types,
    Query: { ...resolvers.Query, ...t.Query },
    Mutation: { ...resolvers.Mutation, ...t.Mutation },
    Subscription: { ...resolvers.Subscription, ...t.Subscription },
  };
}
