/**
 * Manager screens (DESIGN.md §1 rows 16–17): add admins to a chat (every team member listed,
 * contacts or not), add an admin to chats ("all support chats" is one choice), offboarding, the
 * jobs list; each job shows its plan first, then its live progress. And duty: who is on duty now
 * and next, the weekly schedules and one-off overrides (editable by managers).
 */
import { errorText } from './actions.ts';
import type { Ctx } from './context.ts';
import { fill, h, setText } from './dom.ts';
import { fullTime, shortTime } from './format.ts';
import {
  ADD_MEMBER_TO_CHATS,
  ADD_MEMBERS_TO_CHAT,
  ADD_OVERRIDE,
  CANCEL_JOB,
  DUTY,
  JOB_PROGRESS,
  JOB_REPORT,
  JOBS,
  REMOVE_MEMBER,
  REMOVE_OVERRIDE,
  REMOVE_SCHEDULE,
  SET_SCHEDULE,
  type DutyData,
  type DutySchedule,
  type Job,
  type JobItem,
  type JobStart,
  type Plan,
} from './gql.ts';
import { memberOptions } from './tasks-view.ts';
import { confirmDialog, showModal, toast, type Modal } from './ui.ts';

const PLAN_ROWS_SHOWN = 300;

// ---- a job: plan, then progress ---------------------------------------------------------------

function planTable(ctx: Ctx, plan: Plan): HTMLElement {
  const t = ctx.t;
  const rows = plan.items.slice(0, PLAN_ROWS_SHOWN).map((i) =>
    h(
      'tr',
      { class: `outcome-${i.outcome.toLowerCase()}` },
      h('td', { text: i.title }),
      h('td', { text: ctx.memberName(i.memberId) }),
      h('td', { text: t.planOutcomes[i.outcome] }),
      h('td', { text: i.accountId ?? '' }),
      h('td', { text: i.reason ?? '' }),
    ),
  );
  return h(
    'div.plan',
    { 'data-testid': 'plan' },
    h('p.plan-counts', null, h('strong', { text: t.planSummary(plan.counts.todo, plan.counts.skip, plan.counts.impossible) })),
    h('div.table-wrap', null, h('table', null, h('thead', null, h('tr', null, [t.chat, t.member, t.outcome, t.account, t.reason].map((x) => h('th', { text: x })))), h('tbody', null, rows))),
    plan.items.length > PLAN_ROWS_SHOWN ? h('p', { text: t.andMore(plan.items.length - PLAN_ROWS_SHOWN) }) : null,
  );
}

/** Live progress of one job in `box`; returns the unsubscribe. */
export function jobProgress(ctx: Ctx, box: HTMLElement, jobId: string): () => void {
  const t = ctx.t;
  const state = h('strong.job-state', { 'data-testid': 'job-state' });
  const reason = h('span.job-reason');
  const bar = h('div.bar', { role: 'progressbar', 'aria-valuemin': 0, 'aria-valuemax': 100, 'aria-label': t.progress, 'data-testid': 'job-progress' }, h('div.fill'));
  const counts = h('p.job-counts', { 'data-testid': 'job-counts' });
  const tbody = h('tbody');
  const cancel = h('button', { type: 'button', text: t.cancelJob, 'data-action': 'cancel-job' });
  const items = new Map<string, { item: JobItem; tr: HTMLTableRowElement }>();
  fill(
    box,
    h('div.job', { 'data-job-id': jobId }, h('p', null, t.jobLabel(jobId), ' · ', state, ' ', reason), bar, counts, cancel, h('div.table-wrap', null, h('table', null, h('thead', null, h('tr', null, [t.chat, t.member, t.state, t.account, t.reason].map((x) => h('th', { text: x })))), tbody))),
  );
  const paintItem = (item: JobItem) => {
    let entry = items.get(item.id);
    if (!entry) {
      entry = { item, tr: h('tr') };
      items.set(item.id, entry);
      tbody.append(entry.tr);
    }
    entry.item = item;
    entry.tr.className = `item-${item.state.toLowerCase()}`;
    fill(entry.tr, h('td', { text: item.title }), h('td', { text: ctx.memberName(item.memberId) }), h('td', { text: t.itemStates[item.state] ?? item.state }), h('td', { text: item.accountId ?? '' }), h('td', null, item.reason ?? '', item.inviteLink ? h('code', { text: ` ${item.inviteLink}` }) : null));
  };
  const paintJob = (job: Job) => {
    const c = job.counts;
    const finished = c.done + c.skipped + c.invited + c.failed + c.cancelled;
    const pct = c.total ? Math.round((finished / c.total) * 100) : 100;
    setText(state, t.jobStates[job.state]);
    state.className = `job-state state-${job.state.toLowerCase()}`;
    setText(reason, job.reason ?? '');
    bar.setAttribute('aria-valuenow', String(pct));
    (bar.firstChild as HTMLElement).style.width = `${pct}%`;
    setText(counts, t.jobCounts(c));
    cancel.hidden = job.state === 'DONE' || job.state === 'CANCELLED';
  };
  cancel.addEventListener('click', async () => {
    try {
      const d = await ctx.api.request<{ cancelJob: Job }>(CANCEL_JOB, { id: jobId });
      paintJob(d.cancelJob);
    } catch (e) {
      toast(errorText(ctx, e), 'error');
    }
  });
  void ctx.api.request<{ membershipJob: { job: Job; items: JobItem[] } }>(JOB_REPORT, { id: jobId }).then(
    (d) => {
      paintJob(d.membershipJob.job);
      for (const i of d.membershipJob.items) paintItem(i);
    },
    (e) => toast(errorText(ctx, e), 'error'),
  );
  const stop = ctx.api.subscribe<{ jobProgress: { job: Job; changedItems: JobItem[] } }>(JOB_PROGRESS, { id: jobId }, (d) => {
    paintJob(d.jobProgress.job);
    for (const i of d.jobProgress.changedItems) paintItem(i);
  });
  return stop;
}

/**
 * Plans a job in `box` (a dry run), shows the plan, and on "Start" runs it and follows it.
 * `start(dryRun)` calls the mutation.
 */
function planThenRun(ctx: Ctx, box: HTMLElement, start: (dryRun: boolean) => Promise<JobStart>, confirmText: string | null): { stop: () => void } {
  const t = ctx.t;
  let stop = () => undefined as void;
  fill(box, h('p', { text: t.planning }));
  void start(true).then(
    (r) => {
      const go = h('button.primary', {
        type: 'button',
        'data-action': 'start-job',
        text: t.startJob(r.plan.counts.todo),
        disabled: r.plan.counts.todo === 0,
        onclick: async () => {
          if (confirmText && !(await confirmDialog(t.confirm, confirmText, t.startJob(r.plan.counts.todo), t.cancel, true))) return;
          go.disabled = true;
          try {
            const run = await start(false);
            if (!run.job) throw new Error('no job');
            stop = jobProgress(ctx, box, run.job.id);
          } catch (e) {
            toast(errorText(ctx, e), 'error');
            go.disabled = false;
          }
        },
      });
      fill(box, planTable(ctx, r.plan), h('div.actions', null, go));
    },
    (e) => fill(box, h('p.error', { text: errorText(ctx, e) })),
  );
  return { stop: () => stop() };
}

/** "Add admins to this chat": every team member listed, contacts or not. */
export function openAddMembersToChat(ctx: Ctx, chatId: string, title: string): void {
  const t = ctx.t;
  let job: { stop: () => void } | null = null;
  const m = showModal(t.addAdminsTitle(title), { wide: true, onClose: () => job?.stop() });
  const boxes = [...ctx.members]
    .sort((a, b) => (a.role === b.role ? a.name.localeCompare(b.name) : a.role === 'ADMIN' ? -1 : 1))
    .map((mem) => ({ mem, box: h('input', { type: 'checkbox', value: mem.id, checked: mem.role === 'ADMIN' }) }));
  const list = h(
    'div.member-list',
    { role: 'group', 'aria-label': t.teamMembers },
    boxes.map(({ mem, box }) => h('label.check', null, box, h('span', { text: `${mem.name} · ${t.roles[mem.role]}` }), mem.onDuty ? h('small', { text: ` · ${t.onDutyNow}` }) : null)),
  );
  const out = h('div.job-box');
  const plan = h('button.primary', {
    type: 'button',
    'data-action': 'plan',
    text: t.plan,
    onclick: () => {
      const ids = boxes.filter((b) => b.box.checked).map((b) => b.mem.id);
      if (!ids.length) return;
      job?.stop();
      job = planThenRun(ctx, out, async (dry) => (await ctx.api.request<{ addMembersToChat: JobStart }>(ADD_MEMBERS_TO_CHAT, { c: chatId, m: ids, dry })).addMembersToChat, null);
    },
  });
  m.body.append(h('p', { text: t.addAdminsHelp }), list, out);
  m.footer.append(h('button', { type: 'button', text: t.close, onclick: () => m.close() }), plan);
}

// ---- the page ------------------------------------------------------------------------------------

type Tab = 'add' | 'offboard' | 'jobs' | 'duty';
const DAYS = [1, 2, 3, 4, 5, 6, 7];

export class TeamView {
  readonly el: HTMLElement;
  private readonly body: HTMLElement;
  private readonly tabs = new Map<Tab, HTMLButtonElement>();
  private tab: Tab;
  private stopJob: () => void = () => undefined;

  constructor(private readonly ctx: Ctx) {
    const t = ctx.t;
    const tabs: Tab[] = [...(ctx.isManager && ctx.caps.jobs ? (['add', 'offboard', 'jobs'] as Tab[]) : []), ...(ctx.caps.duty ? (['duty'] as Tab[]) : [])];
    this.tab = tabs[0] ?? 'duty';
    const bar = h('div.tabs', { role: 'tablist' });
    for (const tab of tabs) {
      const b = h('button.tab', { type: 'button', role: 'tab', 'data-tab': tab, text: t.teamTabs[tab], onclick: () => this.show(tab) });
      bar.append(b);
      this.tabs.set(tab, b);
    }
    this.body = h('div.team-body');
    this.el = h('section.page.team', { 'aria-label': t.views.team }, h('header.page-head', null, h('h2', { text: t.views.team })), bar, this.body);
  }

  show(tab: Tab = this.tab): void {
    this.stopJob();
    this.stopJob = () => undefined;
    this.tab = tab;
    for (const [k, b] of this.tabs) {
      b.classList.toggle('on', k === tab);
      b.setAttribute('aria-selected', String(k === tab));
    }
    if (tab === 'add') this.renderAdd();
    else if (tab === 'offboard') this.renderOffboard();
    else if (tab === 'jobs') void this.renderJobs();
    else void this.renderDuty();
  }

  private renderAdd(): void {
    const t = this.ctx.t;
    const member = h('select', { name: 'member', 'aria-label': t.member }, memberOptions(this.ctx, null, null));
    const all = h('input', { type: 'radio', name: 'target', value: 'all', checked: true });
    const some = h('input', { type: 'radio', name: 'target', value: 'some' });
    const support = [...this.ctx.store.rows.values()].filter((r) => r.chat.kind === 'SUPPORT' && r.chat.type !== 'PRIVATE').sort((a, b) => a.chat.title.localeCompare(b.chat.title));
    const filter = h('input', { type: 'search', placeholder: t.filterChats, 'aria-label': t.filterChats });
    const boxes = support.map((r) => ({ r, box: h('input', { type: 'checkbox', value: r.chat.id }) }));
    const labels = boxes.map(({ r, box }) => h('label.check', { 'data-title': r.chat.title.toLowerCase() }, box, h('span', { text: r.chat.title })));
    filter.addEventListener('input', () => {
      const q = filter.value.trim().toLowerCase();
      for (const l of labels) l.hidden = q !== '' && !(l.dataset['title'] ?? '').includes(q);
    });
    const chooser = h('div.chat-chooser', null, filter, h('div.member-list', null, labels));
    chooser.hidden = true;
    all.addEventListener('change', () => (chooser.hidden = all.checked));
    some.addEventListener('change', () => (chooser.hidden = !some.checked));
    const out = h('div.job-box');
    const plan = h('button.primary', {
      type: 'button',
      'data-action': 'plan',
      text: t.plan,
      onclick: () => {
        const chats = boxes.filter((b) => b.box.checked).map((b) => b.r.chat.id);
        if (some.checked && chats.length === 0) return;
        const vars = { m: member.value, chats: all.checked ? null : chats, all: all.checked ? true : null };
        this.stopJob();
        this.stopJob = planThenRun(this.ctx, out, async (dry) => (await this.ctx.api.request<{ addMemberToChats: JobStart }>(ADD_MEMBER_TO_CHATS, { ...vars, dry })).addMemberToChats, null).stop;
      },
    });
    fill(
      this.body,
      h('p', { text: t.addToChatsHelp }),
      h('div.form', null, h('label.field', null, h('span', { text: t.member }), member), h('div.field', { role: 'radiogroup' }, h('label.check', null, all, h('span', { text: t.allSupportChats(support.length) })), h('label.check', null, some, h('span', { text: t.chosenChats }))), chooser, h('div.actions', null, plan)),
      out,
    );
  }

  private renderOffboard(): void {
    const t = this.ctx.t;
    const member = h('select', { name: 'member', 'aria-label': t.member }, memberOptions(this.ctx, null, null));
    const out = h('div.job-box');
    const plan = h('button.primary.danger', {
      type: 'button',
      'data-action': 'plan',
      text: t.plan,
      onclick: () => {
        const id = member.value;
        this.stopJob();
        this.stopJob = planThenRun(this.ctx, out, async (dry) => (await this.ctx.api.request<{ removeMemberFromChats: JobStart }>(REMOVE_MEMBER, { m: id, chats: null, all: true, dry })).removeMemberFromChats, t.offboardConfirm(this.ctx.memberName(id))).stop;
      },
    });
    fill(this.body, h('p', { text: t.offboardHelp }), h('div.form', null, h('label.field', null, h('span', { text: t.member }), member), h('div.actions', null, plan)), out);
  }

  private async renderJobs(): Promise<void> {
    const t = this.ctx.t;
    fill(this.body, h('p', { text: t.loading }));
    try {
      const d = await this.ctx.api.request<{ membershipJobs: Job[] }>(JOBS);
      const out = h('div.job-box');
      const rows = d.membershipJobs.map((j) =>
        h(
          'tr',
          null,
          h('td', { text: j.id }),
          h('td', { text: t.jobKinds[j.kind] ?? j.kind }),
          h('td', { text: j.memberIds.map((id) => this.ctx.memberName(id)).join(', ') }),
          h('td', { text: t.jobStates[j.state] }),
          h('td', { text: `${j.counts.done + j.counts.skipped + j.counts.invited + j.counts.failed + j.counts.cancelled}/${j.counts.total}` }),
          h('td', { title: fullTime(j.createdAt), text: `${shortTime(j.createdAt)} · ${j.createdBy}` }),
          h(
            'td',
            null,
            h('button', {
              type: 'button',
              text: t.show,
              onclick: () => {
                this.stopJob();
                this.stopJob = jobProgress(this.ctx, out, j.id);
              },
            }),
          ),
        ),
      );
      fill(
        this.body,
        d.membershipJobs.length ? h('div.table-wrap', null, h('table', null, h('thead', null, h('tr', null, ['#', t.kind, t.member, t.state, t.progress, t.started, ''].map((x) => h('th', { text: x })))), h('tbody', null, rows))) : h('p.empty', { text: t.noJobs }),
        out,
      );
    } catch (e) {
      fill(this.body, h('p.error', { text: errorText(this.ctx, e) }));
    }
  }

  private async renderDuty(): Promise<void> {
    const t = this.ctx.t;
    let d: DutyData;
    try {
      d = await this.ctx.api.request<DutyData>(DUTY);
    } catch (e) {
      fill(this.body, h('p.error', { text: errorText(this.ctx, e) }));
      return;
    }
    const manager = this.ctx.isManager;
    const stretch = (s: { member: { name: string }; from: string | null; until: string | null }, now: boolean) =>
      h('li', null, h('strong', { text: s.member.name }), ' ', now ? (s.until ? t.until(shortTime(s.until)) : '') : s.from ? t.fromTime(shortTime(s.from)) : '');
    const now = h(
      'div.duty-now',
      { 'data-testid': 'duty-now' },
      h('h3', { text: t.onDutyNow }),
      d.duty.schedulesInUse ? null : h('p.note', { text: t.noSchedules }),
      d.duty.onDuty.length ? h('ul', null, d.duty.onDuty.map((s) => stretch(s, true))) : h('p', { text: t.nobodyOnDuty }),
      h('h3', { text: t.nextOnDuty }),
      d.duty.next.length ? h('ul', null, d.duty.next.slice(0, 8).map((s) => stretch(s, false))) : h('p', { text: t.noneNext }),
    );
    const dayName = (n: number) => t.weekdays[n - 1] ?? String(n);
    /** A list of the duty page: its heading, a row of cells per item (or a note when there is none), and a manager's add button. */
    const section = <T,>(title: string, items: readonly T[], cells: (x: T) => string[], actions: (x: T) => HTMLElement[], empty: string, add: { text: string; onclick: () => void }) =>
      h(
        'div',
        null,
        h('h3', { text: title }),
        items.length
          ? h('table', null, h('tbody', null, items.map((x) => h('tr', null, cells(x).map((text) => h('td', { text })), manager ? h('td', null, actions(x)) : null))))
          : h('p', { text: empty }),
        manager ? h('button', { type: 'button', ...add }) : null,
      );
    const schedules = section(
      t.schedules,
      d.dutySchedules,
      (s) => [this.ctx.memberName(s.memberId), s.timeZone, s.shifts.map((x) => `${dayName(x.day)} ${x.from}–${x.to}`).join(', '), s.muteOffDuty ? t.mutesOffDuty : ''],
      (s) => [h('button', { type: 'button', text: t.edit, onclick: () => this.editSchedule(s) }), h('button', { type: 'button', text: t.remove, onclick: () => void this.removeSchedule(s.memberId) })],
      t.noSchedulesYet,
      { text: t.addSchedule, onclick: () => this.editSchedule(null) },
    );
    const overrides = section(
      t.overrides,
      d.dutyOverrides,
      (o) => [this.ctx.memberName(o.memberId), `${shortTime(o.from)} – ${shortTime(o.to)}`, o.onDuty ? t.onDutyWord : t.offDutyWord, o.note ?? ''],
      (o) => [h('button', { type: 'button', text: t.remove, onclick: () => void this.removeOverride(o.id) })],
      t.noOverrides,
      { text: t.addOverride, onclick: () => this.addOverride() },
    );
    fill(this.body, h('div.duty', null, now, schedules, overrides));
  }

  private editSchedule(s: DutySchedule | null): void {
    const t = this.ctx.t;
    const m = showModal(s ? t.editSchedule(this.ctx.memberName(s.memberId)) : t.addSchedule, { wide: true });
    const member = h('select', { disabled: s !== null }, memberOptions(this.ctx, s?.memberId ?? null, null));
    const tz = h('input', { type: 'text', value: s?.timeZone ?? Intl.DateTimeFormat().resolvedOptions().timeZone, required: true });
    const mute = h('input', { type: 'checkbox', checked: s?.muteOffDuty ?? false });
    const rows = h('div.shifts');
    const addRow = (x?: { day: number; from: string; to: string }) => {
      const day = h('select', { 'aria-label': t.day }, DAYS.map((n) => h('option', { value: String(n), text: t.weekdays[n - 1]!, selected: n === (x?.day ?? 1) })));
      const from = h('input', { type: 'time', value: x?.from ?? '09:00', 'aria-label': t.from });
      const to = h('input', { type: 'time', value: x?.to === '24:00' ? '00:00' : (x?.to ?? '18:00'), 'aria-label': t.to });
      const row = h('div.shift', null, day, from, '–', to, h('button', { type: 'button', text: t.remove, onclick: () => row.remove() }));
      rows.append(row);
    };
    for (const x of s?.shifts ?? []) addRow(x);
    if (!s) for (const day of [1, 2, 3, 4, 5]) addRow({ day, from: '09:00', to: '18:00' });
    const error = h('p.error', { role: 'alert' });
    m.body.append(
      h('div.form', null, h('label.field', null, h('span', { text: t.member }), member), h('label.field', null, h('span', { text: t.timeZone }), tz), h('div.field', null, h('span', { text: t.shifts }), rows, h('button', { type: 'button', text: t.addShift, onclick: () => addRow() })), h('label.check', null, mute, h('span', { text: t.muteOffDutyLabel }))),
      error,
    );
    this.saveButtons(m, error, async () => {
      const shifts = [...rows.querySelectorAll('.shift')].map((r) => {
        const [day, from, to] = [...r.querySelectorAll<HTMLInputElement | HTMLSelectElement>('select, input')];
        return { day: Number(day!.value), from: from!.value, to: to!.value };
      });
      await this.ctx.api.request(SET_SCHEDULE, { m: s?.memberId ?? member.value, tz: tz.value.trim(), shifts, mute: mute.checked });
      toast(t.saved);
    });
  }

  /** The duty forms' buttons: Cancel, and Save, which runs `save`, closes the form and redraws the duty page, or shows why not in the form. */
  private saveButtons(m: Modal, error: HTMLElement, save: () => Promise<void>): void {
    const t = this.ctx.t;
    m.footer.append(
      h('button', { type: 'button', text: t.cancel, onclick: () => m.close() }),
      h('button.primary', {
        type: 'button',
        text: t.save,
        onclick: async () => {
          try {
            await save();
            m.close();
            void this.renderDuty();
          } catch (e) {
            error.textContent = errorText(this.ctx, e);
          }
        },
      }),
    );
  }

  private async removeSchedule(memberId: string): Promise<void> {
    const t = this.ctx.t;
    if (!(await confirmDialog(t.confirm, t.removeScheduleConfirm(this.ctx.memberName(memberId)), t.remove, t.cancel, true))) return;
    try {
      await this.ctx.api.request(REMOVE_SCHEDULE, { m: memberId });
      void this.renderDuty();
    } catch (e) {
      toast(errorText(this.ctx, e), 'error');
    }
  }

  private addOverride(): void {
    const t = this.ctx.t;
    const m = showModal(t.addOverride);
    const member = h('select', null, memberOptions(this.ctx, null, null));
    const local = (d: Date) => new Date(d.getTime() - d.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
    const start = new Date();
    start.setMinutes(0, 0, 0);
    const from = h('input', { type: 'datetime-local', value: local(start) });
    const to = h('input', { type: 'datetime-local', value: local(new Date(start.getTime() + 8 * 3_600_000)) });
    const on = h('select', null, h('option', { value: 'true', text: t.onDutyWord }), h('option', { value: 'false', text: t.offDutyWord }));
    const note = h('input', { type: 'text', maxLength: 500 });
    const error = h('p.error', { role: 'alert' });
    m.body.append(
      h('div.form', null, h('label.field', null, h('span', { text: t.member }), member), h('label.field', null, h('span', { text: t.from }), from), h('label.field', null, h('span', { text: t.to }), to), h('label.field', null, h('span', { text: t.state }), on), h('label.field', null, h('span', { text: t.note }), note)),
      error,
    );
    this.saveButtons(m, error, async () => {
      await this.ctx.api.request(ADD_OVERRIDE, { m: member.value, from: new Date(from.value).toISOString(), to: new Date(to.value).toISOString(), on: on.value === 'true', note: note.value.trim() || null });
    });
  }

  private async removeOverride(id: string): Promise<void> {
    try {
      await this.ctx.api.request(REMOVE_OVERRIDE, { id });
      void this.renderDuty();
    } catch (e) {
      toast(errorText(this.ctx, e), 'error');
    }
  }

  hide(): void {
    this.stopJob();
    this.stopJob = () => undefined;
  }
}
