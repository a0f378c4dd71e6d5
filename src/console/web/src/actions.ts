/**
 * The chat actions of DESIGN.md §1 row 14, shared by the dialog row's context menu and the chat
 * header: Pin/Unpin, Mute/Unmute, Alarm!/Clear alarm, It's OK, Mark/Unmark, and Read all. Each
 * is one mutation; the row's new state comes back live (and, for Telegram-side actions, in the
 * mutation's answer, applied at once).
 */
import { ApiError } from './api.ts';
import type { Ctx } from './context.ts';
import type { Folder } from './dialogs.ts';
import { ACK, CLEAR_ALARM, MUTE, PIN, RAISE_ALARM, READ_ALL, STAR, type Row } from './gql.ts';
import { confirmDialog, promptDialog, toast, type MenuItem } from './ui.ts';

export function errorText(ctx: Ctx, e: unknown): string {
  if (e instanceof ApiError) {
    if (e.code === 'FLOOD_WAIT' && e.retryAfter !== null) return ctx.t.floodWait(e.retryAfter);
    if (e.code === 'PIN_LIMIT') return ctx.t.pinLimit;
    if (e.code === 'FORBIDDEN') return `${ctx.t.forbidden}: ${e.message}`;
    return e.message;
  }
  return String((e as Error)?.message ?? e);
}

async function run(ctx: Ctx, work: () => Promise<void>): Promise<void> {
  try {
    await work();
  } catch (e) {
    toast(errorText(ctx, e), 'error');
  }
}

function applyRow(ctx: Ctx, row: Row): void {
  ctx.store.apply(row.chat.id, row, { stable: false, activity: false });
}

export const chatActions = {
  pin: (ctx: Ctx, row: Row) =>
    run(ctx, async () => {
      const d = await ctx.api.request<{ pinChat: Row }>(PIN, { a: ctx.accountId, c: row.chat.id, on: !row.isPinned });
      applyRow(ctx, d.pinChat);
    }),
  mute: (ctx: Ctx, row: Row) =>
    run(ctx, async () => {
      const d = await ctx.api.request<{ muteChat: Row }>(MUTE, { a: ctx.accountId, c: row.chat.id, on: !row.isMuted });
      applyRow(ctx, d.muteChat);
    }),
  alarm: (ctx: Ctx, row: Row) =>
    run(ctx, async () => {
      if (row.alarm) {
        await ctx.api.request(CLEAR_ALARM, { c: row.chat.id });
        toast(ctx.t.alarmCleared);
        return;
      }
      const reason = await promptDialog(ctx.t.raiseAlarmTitle(row.chat.title), ctx.t.alarmReason, ctx.t.raiseAlarm, ctx.t.cancel, '', 500);
      if (reason === null) return;
      await ctx.api.request(RAISE_ALARM, { c: row.chat.id, reason });
      toast(ctx.t.alarmRaised);
    }),
  ack: (ctx: Ctx, row: Row) =>
    run(ctx, async () => {
      await ctx.api.request(ACK, { c: row.chat.id });
      toast(ctx.t.acknowledged);
    }),
  star: (ctx: Ctx, row: Row) =>
    run(ctx, async () => {
      const d = await ctx.api.request<{ starChat: boolean }>(STAR, { c: row.chat.id, on: !row.isStarred });
      const now = ctx.store.rows.get(row.chat.id);
      if (now) applyRow(ctx, { ...now, isStarred: d.starChat });
    }),
  readAll: (ctx: Ctx, folder: Folder) =>
    run(ctx, async () => {
      const n = ctx.store.unreadCounts().get(folder) ?? 0;
      if (n === 0) {
        toast(ctx.t.nothingUnread);
        return;
      }
      const ok = await confirmDialog(ctx.t.readAllTitle, ctx.t.readAllText(n, ctx.t.folders[folder]), ctx.t.readAll, ctx.t.cancel);
      if (!ok) return;
      const d = await ctx.api.request<{ readAll: { chatsRead: number; failed: number } }>(READ_ALL, { a: ctx.accountId, kind: folder === 'ALL' ? null : folder });
      toast(ctx.t.readAllDone(d.readAll.chatsRead, d.readAll.failed), d.readAll.failed ? 'error' : 'info');
    }),
};

/** The context menu of a dialog row (and the chat header's "…" menu). */
export function rowMenu(ctx: Ctx, row: Row, extra: readonly MenuItem[] = []): MenuItem[] {
  const t = ctx.t;
  const own = ctx.ownAccount !== null && ctx.ownAccount.id === ctx.accountId;
  const items: MenuItem[] = [
    { id: 'pin', label: row.isPinned ? t.unpin : t.pin, action: () => void chatActions.pin(ctx, row), disabled: !own },
    { id: 'mute', label: row.isMuted ? t.unmute : t.mute, action: () => void chatActions.mute(ctx, row), disabled: !own },
    { id: 'alarm', label: row.alarm ? t.clearAlarm : t.raiseAlarm, action: () => void chatActions.alarm(ctx, row), danger: !row.alarm },
    { id: 'ack', label: t.itsOk, action: () => void chatActions.ack(ctx, row), disabled: row.waitingSince === null },
    { id: 'star', label: row.isStarred ? t.unmark : t.mark, action: () => void chatActions.star(ctx, row) },
  ];
  return [...items, ...extra];
}
