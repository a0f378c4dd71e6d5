/**
 * The app values the task and portal types of schema.graphql are resolved from (codegen.ts maps
 * them). Kept apart from the generated types, which import this file.
 */
import type { OutboxRecord, OutboxState, OutboxStatus } from '../app/portal-outbox.ts';
import type { DomainEvent } from '../domain/events.ts';
import type { TaskActor, TaskChangeKind, TaskHeader, TaskMessage, TaskSource, TaskStatus } from '../domain/tasks.ts';

export type TaskParent = TaskHeader;
export type TaskActorParent = TaskActor;
export type TaskMessageParent = TaskMessage;
export interface TaskEdgeParent {
  readonly cursor: string;
  readonly node: TaskHeader;
}
export interface TaskConnectionParent {
  readonly edges: readonly TaskEdgeParent[];
  readonly nodes: readonly TaskHeader[];
  readonly pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
  readonly totalCount: number;
}
export interface LinkTargetParent {
  readonly chatKey: string;
  readonly messageId: number;
}
export interface TaskChangeParent {
  readonly seq: number;
  readonly at: number;
  readonly change: TaskChangeKind;
  readonly task: TaskHeader;
}
export type TaskChangedEventParent = Extract<DomainEvent, { type: 'taskChanged' }>;
export type PortalDeliveryParent = OutboxRecord;
export interface PortalDeliveryConnectionParent {
  readonly nodes: readonly OutboxRecord[];
  readonly pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
}
export type PortalStatusParent = OutboxStatus;
export type TaskStatusParent = TaskStatus;
export type TaskChangeKindParent = TaskChangeKind;
export type TaskSourceParent = TaskSource;
export type PortalDeliveryStateParent = OutboxState;
