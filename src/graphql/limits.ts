/**
 * What one request may ask for. Each limit turns an abusive request into a fast, clear error
 * (extensions.code LIMIT_EXCEEDED, or BAD_USER_INPUT for a page size) before it costs the
 * daemon anything: body and variables are checked before parsing, tokens while parsing, depth,
 * cost, aliases and directives before execution, and page sizes in the resolvers.
 */
import { EnvelopArmor } from '@escape.tech/graphql-armor';
import type { GraphQLError } from 'graphql';
import { badInput } from '../domain/errors.ts';

export interface ApiLimits {
  /** Bytes of a POST body. */
  readonly maxBodyBytes: number;
  /** Bytes of the variables, as JSON. */
  readonly maxVariablesBytes: number;
  /** Lexical tokens of the query document. */
  readonly maxTokens: number;
  /** Nesting of selections. */
  readonly maxDepth: number;
  /**
   * graphql-armor's cost: every field costs, more the deeper it is, times the `first` of the
   * list it is in. A full dialog row costs about 150, so one page of 500 full rows (75,000)
   * passes and two of them do not.
   */
  readonly maxCost: number;
  readonly maxAliases: number;
  readonly maxDirectives: number;
  /** Subscriptions one WebSocket connection may hold at once. */
  readonly maxSubscriptionsPerConnection: number;
}

export const DEFAULT_LIMITS: ApiLimits = {
  maxBodyBytes: 64 * 1024,
  maxVariablesBytes: 16 * 1024,
  maxTokens: 2_000,
  maxDepth: 10,
  maxCost: 100_000,
  maxAliases: 15,
  maxDirectives: 20,
  maxSubscriptionsPerConnection: 100,
};

export const PAGE_SIZE = {
  dialogs: { default: 100, max: 500 },
  messages: { default: 50, max: 200 },
  search: { default: 100, max: 200 },
  auditLog: { default: 50, max: 200 },
  tasks: { default: 50, max: 200 },
  portalDeliveries: { default: 50, max: 200 },
} as const;

export const LIMIT_EXCEEDED = 'LIMIT_EXCEEDED';

/** A page size argument, checked against its cap. */
export function pageSize(kind: keyof typeof PAGE_SIZE, first: number | null | undefined): number {
  const { default: fallback, max } = PAGE_SIZE[kind];
  const n = first ?? fallback;
  if (!Number.isInteger(n) || n < 1 || n > max) throw badInput(`first must be between 1 and ${max}`, { argument: 'first', max });
  return n;
}

/** graphql-armor, with every rejection tagged so clients can tell a limit from a typo. */
export function armorPlugins(limits: ApiLimits, onReject: (error: GraphQLError) => void = () => undefined) {
  const tag = [
    (_ctx: unknown, error: GraphQLError) => {
      (error.extensions as Record<string, unknown>)['code'] = LIMIT_EXCEEDED;
      onReject(error);
    },
  ];
  const armor = new EnvelopArmor({
    maxTokens: { n: limits.maxTokens, exposeLimits: true, onReject: tag },
    maxDepth: { n: limits.maxDepth, exposeLimits: true, ignoreIntrospection: true, onReject: tag },
    costLimit: { maxCost: limits.maxCost, exposeLimits: true, ignoreIntrospection: true, onReject: tag },
    maxAliases: { n: limits.maxAliases, exposeLimits: true, onReject: tag },
    maxDirectives: { n: limits.maxDirectives, exposeLimits: true, onReject: tag },
    // The schema is public (schema.graphql is committed, introspection is on): hiding field
    // suggestions would cost developers help and protect nothing.
    blockFieldSuggestion: { enabled: false },
  });
  return armor.protect().plugins;
}
