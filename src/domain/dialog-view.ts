/**
 * One account's dialog list as a client asks for it: rows built, filtered, ordered and counted
 * in one call. The steps are exported on their own (dialogs.ts, dialog-order.ts, counts.ts) for
 * callers that need only one.
 */
import type { ChatKind } from './classification.ts';
import { countUnreadChats } from './counts.ts';
import { sortDialogs, type SortOptions } from './dialog-order.ts';
import { buildDialogRow, compileDialogFilter, type DialogFilter, type DialogInput, type DialogRow, type DialogRowContext } from './dialogs.ts';

export interface DialogViewOptions extends DialogRowContext, SortOptions {
  readonly filter?: DialogFilter | null;
}

export interface DialogView {
  /** Filtered and ordered. */
  readonly rows: readonly DialogRow[];
  /** Rows that passed the filter. */
  readonly totalCount: number;
  /** Unread chats among the rows that passed the filter. */
  readonly unreadChatCount: number;
  /** The same, by kind. */
  readonly unreadChatsByKind: Readonly<Record<ChatKind, number>>;
}

export function buildDialogView(inputs: readonly DialogInput[], options: DialogViewOptions): DialogView {
  const keep = compileDialogFilter(options.filter);
  const rows: DialogRow[] = [];
  for (const input of inputs) {
    const row = buildDialogRow(input, options);
    if (keep(row)) rows.push(row);
  }
  const sorted = sortDialogs(rows, options);
  const unread = countUnreadChats(sorted);
  return { rows: sorted, totalCount: sorted.length, unreadChatCount: unread.total, unreadChatsByKind: unread.byKind };
}
