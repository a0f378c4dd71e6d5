/**
 * Duty schedules for `tgdesk demo`, so the wall and `tgdesk duty` have something to show: the
 * admins in day and night shifts around the clock, the managers on weekdays, all in Moscow time.
 * One admin whose account the demo drives opted in to having support chats muted off duty.
 */
import type { Daemon } from '../app/daemon.ts';
import type { SupportCompany } from '../tdlib/simulator/support-company.ts';

export async function giveDemoDuty(daemon: Daemon, demo: { readonly company: SupportCompany }): Promise<void> {
  const actor = { label: 'demo', memberUserId: null };
  const everyDay = [1, 2, 3, 4, 5, 6, 7] as const;
  const admins = demo.company.team.filter((m) => m.role === 'admin');
  const optedIn = demo.company.accounts.find((a) => a.role === 'admin' && a !== demo.company.accounts[0])?.userId;
  for (const [i, m] of admins.entries()) {
    const night = i % 2 === 1;
    await daemon.teamOps.duty.setSchedule(actor, {
      memberUserId: m.userId,
      timeZone: 'Europe/Moscow',
      shifts: everyDay.map((day) => (night ? { day, from: '20:00', to: '08:00' } : { day, from: '08:00', to: '20:00' })),
      muteOffDuty: m.userId === optedIn,
    });
  }
  for (const m of demo.company.team.filter((x) => x.role === 'manager')) {
    await daemon.teamOps.duty.setSchedule(actor, { memberUserId: m.userId, timeZone: 'Europe/Moscow', shifts: ([1, 2, 3, 4, 5] as const).map((day) => ({ day, from: '09:00', to: '18:00' })), muteOffDuty: false });
  }
}

/** One line for the demo's banner: who is on duty now. */
export function dutyLine(daemon: Daemon): string {
  const view = daemon.teamOps.duty.view();
  const names = view.onDuty.map((e) => daemon.model.roster.byId.get(e.memberUserId)?.name ?? String(e.memberUserId));
  return `  On duty now: ${names.join(', ') || 'nobody'}   (tgdesk duty; schedules in Moscow time)`;
}
