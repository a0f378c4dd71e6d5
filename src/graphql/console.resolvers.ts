/**
 * Resolvers of what the operator console (src/console, docs/console.md) added to the schema:
 * `sendMessage`, a presenter over the app's Messaging (src/app/messaging.ts). Merged into the
 * rest by `withConsole`. Conventions as in resolvers.ts: the role is checked before any
 * argument, errors are DomainErrors with their codes (FLOOD_WAIT carries `retryAfter`).
 */
import { Messaging } from '../app/messaging.ts';
import type { Daemon } from '../app/daemon.ts';
import { actorOf } from '../app/tokens.ts';
import { badInput } from '../domain/errors.ts';
import { MUTATION_ROLES, requireRole } from './auth.ts';
import type * as G from './generated/resolvers-types.ts';

/** One Messaging per daemon, made on first use: it holds nothing but the daemon's parts. */
const messagingOf = new WeakMap<Daemon, Messaging>();

function messaging(daemon: Daemon): Messaging {
  let m = messagingOf.get(daemon);
  if (!m) {
    m = new Messaging({ writer: daemon.writer, bus: daemon.bus, model: daemon.model, accounts: daemon.accounts, preferences: daemon.preferences, now: daemon.now });
    messagingOf.set(daemon, m);
  }
  return m;
}

function messageIdArg(name: string, value: string | null | undefined): number | null {
  if (value === undefined || value === null) return null;
  if (!/^\d{1,15}$/.test(value)) throw badInput(`${name} is not a message id`, { argument: name });
  return Number(value);
}

const Mutation: Pick<G.MutationResolvers, 'sendMessage'> = {
  sendMessage: async (_, args, ctx) => {
    requireRole(ctx.principal, MUTATION_ROLES.sendMessage, 'sendMessage');
    const replyToId = messageIdArg('replyTo', args.replyTo);
    const sent = await messaging(ctx.daemon).send(actorOf(ctx.principal), { accountId: args.accountId, chatKey: args.chatId, text: args.text, replyToId });
    let message = null;
    if (sent.messageId !== null) {
      const id = sent.messageId;
      message = (await ctx.daemon.queries.history({ chatKey: args.chatId, around: id, first: 3 })).find((m) => m.id === id) ?? null;
    }
    return { message, date: sent.date * 1000, sentTyping: sent.sentTyping, linkPreviews: sent.linkPreviews };
  },
};

export function withConsole(resolvers: G.Resolvers): G.Resolvers {
  return { ...resolvers, Mutation: { ...resolvers.Mutation, ...Mutation } };
}
