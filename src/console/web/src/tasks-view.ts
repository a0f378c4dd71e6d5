/**
 * Tasks (DESIGN.md §1 rows 18–19): made from selected messages ("Create task", title prefilled
 * from the first message, assignee chosen) or from one ("Mark as task"); the list with its
 * filters, live; a task opens its chat at its messages, highlighted; closing it closes it on
 * the portal too (the daemon's outbox delivers it).
 */
import { errorText } from './actions.ts';
import type { Ctx } from './context.ts';
import { fill, h, setText } from './dom.ts';
import { fullTime, shortTime, titleFrom } from './format.ts';
import { CLOSE_TASK, CREATE_TASK, MARK_TASK, REOPEN_TASK, TASK_ONE, TASKS, type Message, type Task, type TasksData } from './gql.ts';
import { showModal, toast } from './ui.ts';

export function memberOptions(ctx: Ctx, selected: string | null, withNone: string | null): HTMLOptionElement[] {
  const out: HTMLOptionElement[] = [];
  if (withNone !== null) out.push(h('option', { value: '', text: withNone, selected: selected === null }));
  for (const m of [...ctx.members].sort((a, b) => a.name.localeCompare(b.name))) {
    out.push(h('option', { value: m.id, text: `${m.name}${m.id === ctx.member.id ? ` (${ctx.t.you})` : ''} · ${ctx.t.roles[m.role]}`, selected: m.id === selected }));
  }
  return out;
}

/** The "Create task" dialog for selected messages. */
export function openCreateTask(ctx: Ctx, chatId: string, messages: readonly Message[], done: (task: Task) => void): void {
  const t = ctx.t;
  const first = messages[0]!;
  const m = showModal(t.createTaskTitle(messages.length), { wide: true });
  const title = h('input', { type: 'text', name: 'title', maxLength: 200, value: titleFrom(first.text || first.mediaSummary || ''), required: true, autofocus: true });
  const description = h('textarea', { name: 'description', rows: 3, maxLength: 10_000, placeholder: t.descriptionHint });
  const assignee = h('select', { name: 'assignee' }, memberOptions(ctx, null, t.nobody));
  const error = h('p.error', { role: 'alert' });
  const preview = h(
    'ol.task-preview',
    null,
    messages.map((x) => h('li', null, h('strong', { text: `${x.sender.name} ` }), h('time', { text: shortTime(x.date) }), h('div', { text: x.text || x.mediaSummary || '' }))),
  );
  const form = h(
    'form.form',
    {
      onsubmit: async (e: Event) => {
        e.preventDefault();
        submit.disabled = true;
        error.textContent = '';
        try {
          const d = await ctx.api.request<{ createTask: Task }>(CREATE_TASK, {
            c: chatId,
            m: messages.map((x) => x.id),
            title: title.value.trim() || null,
            description: description.value.trim() || null,
            assignee: assignee.value || null,
          });
          m.close();
          toast(t.taskCreated(d.createTask.title));
          done(d.createTask);
        } catch (err) {
          error.textContent = errorText(ctx, err);
          submit.disabled = false;
        }
      },
    },
    h('label.field', null, h('span', { text: t.taskTitle }), title),
    h('label.field', null, h('span', { text: t.assignee }), assignee),
    h('label.field', null, h('span', { text: t.description }), description),
    h('div.field', null, h('span', { text: t.messagesOfTask }), preview),
    error,
  );
  const submit = h('button.primary', { type: 'button', 'data-action': 'confirm', text: t.createTask, onclick: () => form.requestSubmit() });
  m.body.append(form);
  m.footer.append(h('button', { type: 'button', text: t.cancel, onclick: () => m.close() }), submit);
}

export async function markAsTask(ctx: Ctx, chatId: string, messageId: string): Promise<Task | null> {
  try {
    const d = await ctx.api.request<{ markMessageAsTask: Task }>(MARK_TASK, { c: chatId, m: messageId });
    toast(ctx.t.taskCreated(d.markMessageAsTask.title));
    return d.markMessageAsTask;
  } catch (e) {
    toast(errorText(ctx, e), 'error');
    return null;
  }
}

export async function setTaskStatus(ctx: Ctx, task: Task, close: boolean): Promise<Task | null> {
  try {
    const d = await ctx.api.request<{ closeTask?: Task; reopenTask?: Task }>(close ? CLOSE_TASK : REOPEN_TASK, { id: task.id });
    const next = (close ? d.closeTask : d.reopenTask)!;
    toast(close ? ctx.t.taskClosed(next.title) : ctx.t.taskReopened(next.title));
    return next;
  } catch (e) {
    toast(errorText(ctx, e), 'error');
    return null;
  }
}

/** Opens the task's chat at its messages, highlighted. */
export function openTaskInChat(ctx: Ctx, task: Task): void {
  ctx.openChat(task.chat.id, { around: task.anchorMessageId, highlight: task.messageIds, focus: true });
}

/** A task's card: details, its portal link, Open in chat, Close/Reopen. */
export function showTask(ctx: Ctx, task: Task, onChange?: (task: Task) => void): void {
  const t = ctx.t;
  const m = showModal(task.title, { wide: true });
  const render = (x: Task) => {
    fill(
      m.body,
      h(
        'dl.task-card',
        null,
        h('dt', { text: t.status }),
        h('dd', { class: `status-${x.status.toLowerCase()}`, 'data-testid': 'task-status', text: x.status === 'OPEN' ? t.taskOpen : t.taskClosedState(x.closedBy?.name ?? '', x.closedAt ? shortTime(x.closedAt) : '') }),
        h('dt', { text: t.chat }),
        h('dd', { text: x.chat.title }),
        h('dt', { text: t.assignee }),
        h('dd', { text: x.assignee?.name ?? t.nobody }),
        h('dt', { text: t.createdBy }),
        h('dd', { text: `${x.createdBy.name}, ${fullTime(x.createdAt)}` }),
        h('dt', { text: t.messagesOfTask }),
        h('dd', { text: String(x.messageIds.length) }),
        x.portalUrl ? h('dt', { text: t.portal }) : null,
        x.portalUrl ? h('dd', null, h('a', { href: x.portalUrl, target: '_blank', rel: 'noopener noreferrer', text: x.portalUrl })) : null,
        h('dt', { text: t.link }),
        h('dd', null, /^https?:/.test(x.link) ? h('a', { href: x.link, target: '_blank', rel: 'noopener noreferrer', text: x.link }) : h('code', { text: x.link })),
      ),
      x.description ? h('p.task-description', { text: x.description }) : null,
    );
    fill(
      m.footer,
      h('button', { type: 'button', text: t.close, onclick: () => m.close() }),
      h('button', {
        type: 'button',
        'data-action': 'open-in-chat',
        text: t.openInChat,
        onclick: () => {
          m.close();
          openTaskInChat(ctx, x);
        },
      }),
      h('button.primary', {
        type: 'button',
        'data-action': x.status === 'OPEN' ? 'close-task' : 'reopen-task',
        text: x.status === 'OPEN' ? t.closeTask : t.reopenTask,
        onclick: async () => {
          const next = await setTaskStatus(ctx, x, x.status === 'OPEN');
          if (next) {
            render(next);
            onChange?.(next);
          }
        },
      }),
    );
  };
  render(task);
}

export async function openTaskById(ctx: Ctx, id: string): Promise<void> {
  try {
    const d = await ctx.api.request<{ task: Task }>(TASK_ONE, { id });
    showTask(ctx, d.task);
  } catch (e) {
    toast(errorText(ctx, e), 'error');
  }
}

type StatusFilter = 'OPEN' | 'CLOSED' | 'ALL';

/** The task list with filters (status, assignee, this chat), live. */
export class TasksView {
  readonly el: HTMLElement;
  private readonly list: HTMLElement;
  private readonly total: HTMLElement;
  private readonly more: HTMLButtonElement;
  private status: StatusFilter = 'OPEN';
  private assignee = '';
  private onlyChat = false;
  private tasks: Task[] = [];
  private cursor: string | null = null;
  private loadSeq = 0;
  private readonly chatToggle: HTMLInputElement;

  constructor(private readonly ctx: Ctx) {
    const t = ctx.t;
    const statusSel = h(
      'select',
      { 'aria-label': t.status, 'data-filter': 'status', onchange: (e: Event) => ((this.status = (e.target as HTMLSelectElement).value as StatusFilter), void this.load()) },
      h('option', { value: 'OPEN', text: t.taskOpen, selected: true }),
      h('option', { value: 'CLOSED', text: t.taskClosedFilter }),
      h('option', { value: 'ALL', text: t.all }),
    );
    const assigneeSel = h(
      'select',
      { 'aria-label': t.assignee, 'data-filter': 'assignee', onchange: (e: Event) => ((this.assignee = (e.target as HTMLSelectElement).value), void this.load()) },
      memberOptions(ctx, null, t.anyone),
    );
    this.chatToggle = h('input', { type: 'checkbox', onchange: () => ((this.onlyChat = this.chatToggle.checked), void this.load()) });
    this.total = h('span.total');
    this.list = h('div.task-list', { role: 'list', 'data-testid': 'task-list' });
    this.more = h('button', { type: 'button', text: t.loadMore, onclick: () => void this.load(true) });
    this.more.hidden = true;
    this.el = h(
      'section.page.tasks',
      { 'aria-label': t.views.tasks },
      h('header.page-head', null, h('h2', { text: t.views.tasks }), this.total),
      h('div.filters', null, h('label', null, h('span', { text: t.status }), statusSel), h('label', null, h('span', { text: t.assignee }), assigneeSel), h('label.check', null, this.chatToggle, h('span', { text: t.onlyThisChat }))),
      this.list,
      this.more,
    );
  }

  async load(more = false): Promise<void> {
    const seq = ++this.loadSeq;
    const chat = this.onlyChat ? this.ctx.currentChatId() : null;
    try {
      const d = await this.ctx.api.request<TasksData>(TASKS, {
        status: this.status === 'ALL' ? null : this.status,
        assignee: this.assignee || null,
        chat,
        after: more ? this.cursor : null,
      });
      if (seq !== this.loadSeq) return;
      this.tasks = more ? [...this.tasks, ...d.tasks.nodes] : d.tasks.nodes;
      this.cursor = d.tasks.pageInfo.endCursor;
      this.more.hidden = !d.tasks.pageInfo.hasNextPage;
      setText(this.total, this.ctx.t.taskCount(d.tasks.totalCount));
      this.render();
    } catch (e) {
      toast(errorText(this.ctx, e), 'error');
    }
  }

  /** Shows the tasks of the open chat (the chat header's task count). */
  showChat(on: boolean): void {
    this.chatToggle.checked = on;
    this.onlyChat = on;
  }

  /** A task changed somewhere: the list follows without a refetch when it can. */
  onTask(task: Task): void {
    const i = this.tasks.findIndex((x) => x.id === task.id);
    const fits = (this.status === 'ALL' || task.status === this.status) && (!this.assignee || task.assignee?.id === this.assignee) && (!this.onlyChat || task.chat.id === this.ctx.currentChatId());
    if (i >= 0) {
      if (fits) this.tasks[i] = task;
      else this.tasks.splice(i, 1);
    } else if (fits) this.tasks.unshift(task);
    else return;
    if (this.el.isConnected && !this.el.hidden) this.render();
  }

  private render(): void {
    const t = this.ctx.t;
    if (this.tasks.length === 0) {
      fill(this.list, h('p.empty', { text: t.noTasks }));
      return;
    }
    fill(
      this.list,
      this.tasks.map((x) =>
        h(
          'div.task-row',
          { role: 'listitem', 'data-task-id': x.id, class: x.status === 'OPEN' ? 'open' : 'closed' },
          h('button.task-title', { type: 'button', text: x.title, title: t.openInChat, onclick: () => openTaskInChat(this.ctx, x) }),
          h('span.task-chat', { text: x.chat.title }),
          h('span.task-assignee', { text: x.assignee?.name ?? t.nobody }),
          h('time', { datetime: x.createdAt, title: fullTime(x.createdAt), text: shortTime(x.createdAt) }),
          x.portalUrl ? h('a.portal', { href: x.portalUrl, target: '_blank', rel: 'noopener noreferrer', text: t.portal }) : h('span'),
          h('button', { type: 'button', text: t.details, onclick: () => showTask(this.ctx, x, (n) => this.onTask(n)) }),
          h('button', {
            type: 'button',
            'data-action': x.status === 'OPEN' ? 'close-task' : 'reopen-task',
            text: x.status === 'OPEN' ? t.closeTask : t.reopenTask,
            onclick: async () => {
              const next = await setTaskStatus(this.ctx, x, x.status === 'OPEN');
              if (next) this.onTask(next);
            },
          }),
        ),
      ),
    );
  }
}
