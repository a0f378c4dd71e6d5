/**
 * Tables of the tasks feature (issue 6): tasks with the snapshot of their messages, the outbox
 * of webhook deliveries to the portal, and the portal's requests already applied.
 * Same conventions as schema.ts: flags 0/1, times unix ms, JSON as text.
 */
import type { Generated } from 'kysely';

export interface TasksTable {
  id: Generated<number>;
  chat_key: string;
  title: string;
  description: string;
  /** open | closed */
  status: string;
  assignee_id: number | null;
  created_by_user_id: number | null;
  created_by_name: string;
  /** tgdesk | portal */
  created_by_source: string;
  created_at: number;
  updated_at: number;
  closed_by_user_id: number | null;
  closed_by_name: string | null;
  closed_by_source: string | null;
  closed_at: number | null;
  anchor_message_id: number;
  telegram_link: string | null;
  portal_task_id: string | null;
  portal_url: string | null;
  version: number;
  /** How many portal events the task has had: the next event's sequence is this + 1. */
  outbox_seq: number;
  /** The emoji tgdesk put on the source messages, so it can be taken off whatever the config says later. */
  reaction: string | null;
}

/** The messages of a task as they were when it was made. */
export interface TaskMessagesTable {
  task_id: number;
  message_id: number;
  position: number;
  chat_key: string;
  sender_key: string;
  sender_user_id: number | null;
  sender_name: string;
  /** Unix ms. */
  sent_at: number;
  text: string;
  content_kind: string;
  media_summary: string | null;
}

/**
 * Portal events waiting for delivery, delivered, or dead. Written in the transaction of the
 * task change they describe; delivered one task at a time in `seq` order.
 */
export interface OutboxTable {
  id: Generated<number>;
  task_id: number;
  seq: number;
  idempotency_key: string;
  type: string;
  /** The exact JSON body: signed and sent byte for byte on every attempt. */
  body: string;
  created_at: number;
  /** pending | delivered | dead */
  state: string;
  attempts: number;
  next_attempt_at: number;
  /** A worker holds the event until then; 0 when nobody does. */
  lease_until: number;
  leased_by: string | null;
  last_status: number | null;
  last_error: string | null;
  delivered_at: number | null;
  dead_at: number | null;
}

/** Requests from the portal already applied, by the portal's request id: replays change nothing. */
export interface PortalInboundTable {
  request_id: string;
  task_id: number;
  received_at: number;
}

export interface TasksTables {
  tasks: TasksTable;
  task_messages: TaskMessagesTable;
  outbox: OutboxTable;
  portal_inbound: PortalInboundTable;
}
