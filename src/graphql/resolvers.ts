/**
 * Resolvers: thin presenters from app values to the schema's types. No business logic here.
 */
import { GraphQLScalarType, Kind } from 'graphql';
import type { Daemon } from '../app/daemon.ts';
import type { AccountChatRecord, AccountRecord, ChatRecord, MessageView } from '../app/queries.ts';
import { badInput } from '../domain/errors.ts';

export interface ApiContext {
  readonly daemon: Daemon;
}

const DateTime = new GraphQLScalarType<Date, string>({
  name: 'DateTime',
  serialize: (value) => new Date(value as Date | number | string).toISOString(),
  parseValue: (value) => {
    const d = new Date(String(value));
    if (Number.isNaN(d.getTime())) throw badInput(`not an ISO 8601 date-time: ${String(value).slice(0, 40)}`);
    return d;
  },
  parseLiteral: (ast) => {
    if (ast.kind !== Kind.STRING) throw badInput('DateTime must be a string');
    const d = new Date(ast.value);
    if (Number.isNaN(d.getTime())) throw badInput(`not an ISO 8601 date-time: ${ast.value.slice(0, 40)}`);
    return d;
  },
});

function messageIdArg(name: string, value: unknown): number | undefined {
  if (value === undefined || value === null) return undefined;
  const s = String(value);
  if (!/^\d{1,15}$/.test(s)) throw badInput(`${name} is not a message id`, { argument: name });
  return Number(s);
}

export const resolvers = {
  DateTime,
  Query: {
    accounts: (_: unknown, __: unknown, ctx: ApiContext) => ctx.daemon.queries.accounts(),
    chats: (_: unknown, __: unknown, ctx: ApiContext) => ctx.daemon.queries.chats(),
    chat: (_: unknown, args: { id: string }, ctx: ApiContext) => ctx.daemon.queries.chat(args.id),
    messages: async (
      _: unknown,
      args: { chatId: string; around?: string | null; before?: string | null; after?: string | null; first?: number | null },
      ctx: ApiContext,
    ) => {
      const first = args.first ?? 50;
      if (first < 1 || first > 200) throw badInput('first must be between 1 and 200', { argument: 'first' });
      const cursors = [args.around, args.before, args.after].filter((v) => v !== undefined && v !== null);
      if (cursors.length > 1) throw badInput('give at most one of around, before and after');
      const messages = await ctx.daemon.queries.history({
        chatKey: args.chatId,
        around: messageIdArg('around', args.around),
        before: messageIdArg('before', args.before),
        after: messageIdArg('after', args.after),
        first: first + (args.around ? 0 : 1),
      });
      // One extra row tells whether an older page exists, without a count query.
      const hasOlder = !args.around && !args.after && messages.length > first;
      return { messages: hasOlder ? messages.slice(1) : messages, hasOlder };
    },
  },
  Account: {
    user: (a: AccountRecord, _: unknown, ctx: ApiContext) => (a.userId === null ? null : ctx.daemon.queries.user(a.userId)),
  },
  User: {
    id: (u: { id: number }) => String(u.id),
  },
  Chat: {
    id: (c: ChatRecord) => c.key,
    telegramId: (c: ChatRecord) => String(c.tdChatId),
    type: (c: ChatRecord) => c.type.toUpperCase(),
    firstSeenAt: (c: ChatRecord) => new Date(c.firstSeenAt),
    accountStates: (c: ChatRecord, _: unknown, ctx: ApiContext) => ctx.daemon.queries.accountStates(c.key),
  },
  AccountChatState: {
    isPinned: (s: AccountChatRecord) => s.positions.some((p) => p.list === 'main' && p.isPinned),
  },
  Message: {
    id: (m: MessageView) => String(m.id),
    chatId: (m: MessageView) => m.chatKey,
    sender: (m: MessageView) => ({ id: m.sender.key, name: m.sender.name, username: m.sender.username }),
    date: (m: MessageView) => new Date(m.date * 1000),
    editedAt: (m: MessageView) => (m.editDate ? new Date(m.editDate * 1000) : null),
    replyToId: (m: MessageView) => (m.replyToId === null ? null : String(m.replyToId)),
  },
  TextEntity: {
    userId: (e: { userId?: number }) => (e.userId === undefined ? null : String(e.userId)),
  },
};
