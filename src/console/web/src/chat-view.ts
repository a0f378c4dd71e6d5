/**
 * The chat: its header with the row's state and actions, the history as sender blocks (all on
 * the left, own messages too), selection of messages for a task, and the composer.
 *
 * History is paged: opening shows the newest page at once (one query of 60 messages, whatever
 * the chat's length), older pages load while scrolling up. Opened at a message (a search hit,
 * a task) it shows the page around it, highlighted, and newer pages load while scrolling down.
 * Live: message events of this chat fetch what is new after the last shown message; edits and
 * deletions replace or remove just those messages; task changes repaint their messages.
 *
 * Keyboard: ↑/↓ move between messages, Space selects, Shift+↑/↓ extends the selection, R
 * replies, T makes a task of the selection, Enter opens the message's task, Esc clears the
 * selection or goes back to the list, Tab reaches the composer.
 */
import { chatActions, errorText, rowMenu } from './actions.ts';
import { ApiError } from './api.ts';
import type { Ctx, OpenChatOptions } from './context.ts';
import { fill, h, setHidden, setText, toggleClass } from './dom.ts';
import { dayKey, dayLabel, fullTime, senderHue, shortTime, textPieces, waitText } from './format.ts';
import { CHAT_INFO, messagesQuery, SEND, type ChatInfoData, type Message, type MessagesData, type Row, type Task, type TaskRef } from './gql.ts';
import { icon } from './icons.ts';
import { openCreateTask, markAsTask, openTaskById } from './tasks-view.ts';
import { openAddMembersToChat } from './team-view.ts';
import { showMenu, toast } from './ui.ts';

const FIRST_PAGE = 60;
const PAGE = 100;
const BLOCK_GAP_MS = 10 * 60_000;

interface MessageNode {
  readonly el: HTMLElement;
  message: Message;
}

function flatten(d: MessagesData): Message[] {
  return d.messages.blocks.flatMap((b) => b.messages);
}

export class ChatView {
  readonly el: HTMLElement;
  private readonly title: HTMLElement;
  private readonly sub: HTMLElement;
  private readonly status: HTMLElement;
  private readonly headButtons: HTMLElement;
  private readonly banner: HTMLElement;
  readonly scroller: HTMLDivElement;
  private readonly list: HTMLElement;
  private readonly olderNote: HTMLElement;
  private readonly newerButton: HTMLButtonElement;
  private readonly selectBar: HTMLElement;
  private readonly selectCount: HTMLElement;
  private readonly composer: HTMLFormElement;
  readonly input: HTMLTextAreaElement;
  private readonly sendButton: HTMLButtonElement;
  private readonly replyChip: HTMLElement;
  private readonly composerNote: HTMLElement;
  private readonly composerError: HTMLElement;
  private readonly placeholder: HTMLElement;

  chatId: string | null = null;
  private row: Row | null = null;
  /** The chat as the daemon knows it, for a chat that is not in this account's list (a search hit elsewhere). */
  private info: ChatInfoData['chat'] | null = null;
  private messages: Message[] = [];
  private nodes = new Map<string, MessageNode>();
  private hasOlder = false;
  private atLatest = true;
  private loadingOlder = false;
  private loadingNewer: Promise<void> | null = null;
  private newerAgain = false;
  private openSeq = 0;
  private readonly selection = new Set<string>();
  private highlight = new Set<string>();
  private focusIndex = -1;
  private replyTo: Message | null = null;
  private floodUntil = 0;
  private floodTimer: ReturnType<typeof setInterval> | null = null;
  private headKey = '';
  /** Sending preferences, shown under the composer. */
  prefs: { sendTyping: boolean; linkPreviews: boolean } | null = null;
  private readonly query: string;

  constructor(private readonly ctx: Ctx) {
    const t = ctx.t;
    this.query = messagesQuery(ctx.caps.tasks);
    this.title = h('h2.chat-title');
    this.sub = h('div.chat-sub');
    this.status = h('div.chat-status', { role: 'status' });
    this.headButtons = h('div.head-buttons');
    this.banner = h('div.alarm-banner', { role: 'alert' });
    this.banner.hidden = true;
    this.olderNote = h('div.older-note');
    this.list = h('div.blocks');
    this.scroller = h('div.messages', { tabindex: 0, role: 'log', 'aria-label': t.messagesLabel, 'data-testid': 'messages' }, this.olderNote, this.list);
    this.newerButton = h('button.newer', { type: 'button', text: t.newMessagesBelow, onclick: () => void this.jumpToLatest() });
    this.newerButton.hidden = true;
    this.selectCount = h('span.select-count');
    this.selectBar = h(
      'div.select-bar',
      { role: 'toolbar', 'aria-label': t.selectionLabel },
      this.selectCount,
      ctx.caps.tasks ? h('button.primary', { type: 'button', 'data-action': 'create-task', text: t.createTask, onclick: () => this.createTask() }) : null,
      ctx.caps.tasks ? h('button', { type: 'button', 'data-action': 'mark-task', text: t.markAsTask, onclick: () => this.markTask() }) : null,
      h('button', { type: 'button', 'data-action': 'reply', text: t.reply, onclick: () => this.replyToSelected() }),
      h('button', { type: 'button', text: t.clearSelection, onclick: () => this.clearSelection() }),
    );
    this.selectBar.hidden = true;

    this.replyChip = h('div.reply-chip');
    this.replyChip.hidden = true;
    this.input = h('textarea.composer-input', { rows: 1, placeholder: t.composerPlaceholder, 'aria-label': t.composerPlaceholder, 'data-testid': 'composer', maxLength: 4096 });
    this.sendButton = h('button.primary.send', { type: 'submit', text: t.send, 'data-action': 'send' });
    this.composerNote = h('div.composer-note');
    this.composerError = h('div.composer-error', { role: 'alert' });
    this.composer = h('form.composer', { onsubmit: (e: Event) => (e.preventDefault(), void this.send()) }, this.replyChip, h('div.composer-row', null, this.input, this.sendButton), this.composerError, this.composerNote);
    this.input.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
        e.preventDefault();
        void this.send();
      } else if (e.key === 'Escape') {
        if (this.replyTo) this.setReply(null);
        else this.scroller.focus();
      } else if (e.key === 'ArrowUp' && this.input.value === '') {
        e.preventDefault();
        this.focusMessage(this.messages.length - 1);
      }
    });
    this.input.addEventListener('input', () => this.autosize());

    this.placeholder = h('div.chat-placeholder', { text: t.pickChat });
    const head = h('header.chat-head', null, h('div.chat-head-text', null, this.title, this.sub, this.status), this.headButtons);
    this.el = h('section.chat', { 'aria-label': t.views.chat }, this.placeholder, head, this.banner, this.scroller, this.newerButton, this.selectBar, this.composer);
    this.setOpen(false);

    this.scroller.addEventListener('scroll', () => this.onScroll(), { passive: true });
    this.scroller.addEventListener('keydown', (e) => this.onKey(e));
    this.scroller.addEventListener('click', (e) => this.onClick(e));
  }

  private setOpen(open: boolean): void {
    for (const el of [this.title.parentElement!.parentElement!, this.scroller, this.composer]) setHidden(el as HTMLElement, !open);
    setHidden(this.placeholder, open);
    if (!open) {
      this.banner.hidden = true;
      this.selectBar.hidden = true;
      this.newerButton.hidden = true;
    }
  }

  // ---- opening and paging ----------------------------------------------------------------------

  async open(chatId: string, options: OpenChatOptions = {}): Promise<void> {
    const seq = ++this.openSeq;
    const same = chatId === this.chatId;
    if (!same) {
      this.chatId = chatId;
      this.selection.clear();
      this.setReply(null);
      this.input.value = '';
      this.composerError.textContent = '';
      this.headKey = '';
      this.info = null;
      if (!this.ctx.store.rows.has(chatId)) {
        void this.ctx.api.request<ChatInfoData>(CHAT_INFO, { c: chatId }).then(
          (d) => {
            if (this.chatId !== chatId) return;
            this.info = d.chat;
            this.headKey = '';
            this.refreshHeader();
          },
          () => undefined,
        );
      }
    }
    // Set once the page is on screen (tests and the benchmark wait for it).
    delete this.scroller.dataset['shown'];
    this.highlight = new Set([...(options.highlight ?? []), ...(options.around ? [options.around] : [])]);
    this.setOpen(true);
    this.refreshHeader();
    const vars: Record<string, unknown> = { c: chatId, first: options.around ? 80 : FIRST_PAGE };
    if (options.around) vars['around'] = options.around;
    let data: MessagesData;
    // Where the time goes (the benchmark reads these): the request, then the render.
    const t0 = performance.now();
    try {
      data = await this.ctx.api.request<MessagesData>(this.query, vars);
    } catch (e) {
      if (seq === this.openSeq) toast(errorText(this.ctx, e), 'error');
      return;
    }
    if (seq !== this.openSeq) return;
    const t1 = performance.now();
    this.messages = flatten(data);
    this.hasOlder = options.around ? true : data.messages.hasOlder;
    this.atLatest = !options.around;
    this.renderAll();
    if (options.around && this.nodes.has(options.around)) {
      const el = this.nodes.get(options.around)!.el;
      el.scrollIntoView({ block: 'center' });
      this.focusIndex = this.messages.findIndex((m) => m.id === options.around);
      if (options.focus !== false) el.focus({ preventScroll: true });
      // The page may end before the newest message: find out.
      void this.fetchNewer();
    } else {
      this.scrollToBottom();
      this.focusIndex = -1;
      if (options.focus) this.input.focus();
    }
    this.updateSelectBar();
    this.scroller.dataset['shown'] = chatId;
    performance.measure('console:open:request', { start: t0, end: t1 });
    performance.measure('console:open:render', { start: t1, end: performance.now() });
    this.fillScreen();
  }

  /** A short page leaves nothing to scroll: load older messages until the screen is full or the chat starts. */
  private fillScreen(): void {
    if (this.hasOlder && !this.loadingOlder && this.scroller.scrollHeight <= this.scroller.clientHeight + 400) void this.loadOlder();
  }

  close(): void {
    this.openSeq++;
    this.chatId = null;
    this.row = null;
    this.messages = [];
    this.nodes.clear();
    this.list.replaceChildren();
    this.setOpen(false);
  }

  private scrollToBottom(): void {
    this.scroller.scrollTop = this.scroller.scrollHeight;
  }

  private nearBottom(): boolean {
    return this.scroller.scrollHeight - this.scroller.scrollTop - this.scroller.clientHeight < 80;
  }

  private onScroll(): void {
    if (this.scroller.scrollTop < 400 && this.hasOlder && !this.loadingOlder) void this.loadOlder();
    if (!this.atLatest && this.scroller.scrollHeight - this.scroller.scrollTop - this.scroller.clientHeight < 400) void this.fetchNewer();
    if (this.nearBottom() && this.atLatest) this.newerButton.hidden = true;
  }

  private async loadOlder(): Promise<void> {
    const first = this.messages[0];
    if (!first || !this.chatId) return;
    this.loadingOlder = true;
    setText(this.olderNote, this.ctx.t.loading);
    const seq = this.openSeq;
    let grew = false;
    try {
      const data = await this.ctx.api.request<MessagesData>(this.query, { c: this.chatId, first: PAGE, before: first.id });
      if (seq !== this.openSeq) return;
      const older = flatten(data).filter((m) => !this.nodes.has(m.id));
      this.hasOlder = data.messages.hasOlder;
      if (older.length) {
        // Keep what is on screen where it is.
        const before = this.scroller.scrollHeight - this.scroller.scrollTop;
        this.messages = [...older, ...this.messages];
        this.renderAll();
        this.scroller.scrollTop = this.scroller.scrollHeight - before;
        grew = true;
      }
    } catch (e) {
      toast(errorText(this.ctx, e), 'error');
    } finally {
      this.loadingOlder = false;
      setText(this.olderNote, this.hasOlder ? '' : this.ctx.t.chatStart);
    }
    if (grew && seq === this.openSeq) this.fillScreen();
  }

  /** Fetches every message after the last one shown (coalesced: one fetch at a time, then one more if asked meanwhile). */
  fetchNewer(): Promise<void> {
    if (this.loadingNewer) {
      this.newerAgain = true;
      return this.loadingNewer;
    }
    this.loadingNewer = (async () => {
      do {
        this.newerAgain = false;
        await this.fetchNewerOnce();
      } while (this.newerAgain);
    })().finally(() => (this.loadingNewer = null));
    return this.loadingNewer;
  }

  private async fetchNewerOnce(): Promise<void> {
    const chatId = this.chatId;
    const seq = this.openSeq;
    if (!chatId) return;
    const last = this.messages[this.messages.length - 1];
    const stick = this.atLatest && this.nearBottom();
    try {
      const data = await this.ctx.api.request<MessagesData>(this.query, last ? { c: chatId, first: PAGE, after: last.id } : { c: chatId, first: FIRST_PAGE });
      if (seq !== this.openSeq) return;
      const fresh = flatten(data).filter((m) => !this.nodes.has(m.id));
      const count = flatten(data).length;
      if (count < PAGE) this.atLatest = true;
      else this.newerAgain = true;
      if (fresh.length === 0) return;
      this.messages.push(...fresh);
      for (const m of fresh) this.appendMessage(m);
      if (stick) this.scrollToBottom();
      else if (this.atLatest) this.newerButton.hidden = false;
    } catch {
      // The next event asks again; a lost connection resyncs the whole chat.
    }
  }

  private async jumpToLatest(): Promise<void> {
    this.newerButton.hidden = true;
    if (!this.chatId) return;
    if (this.atLatest) {
      this.scrollToBottom();
      return;
    }
    await this.open(this.chatId, { focus: false });
  }

  // ---- live ----------------------------------------------------------------------------------------

  onMessageAdded(): void {
    if (this.atLatest) void this.fetchNewer();
  }

  async onMessageEdited(id: string): Promise<void> {
    if (!this.chatId || !this.nodes.has(id)) return;
    try {
      const data = await this.ctx.api.request<MessagesData>(this.query, { c: this.chatId, first: 3, around: id });
      const m = flatten(data).find((x) => x.id === id);
      if (m) this.replaceMessage(m);
    } catch {
      // Shown as it was; the next open shows the edit.
    }
  }

  onMessagesDeleted(ids: readonly string[]): void {
    let changed = false;
    for (const id of ids) {
      if (!this.nodes.has(id)) continue;
      this.messages = this.messages.filter((m) => m.id !== id);
      this.selection.delete(id);
      changed = true;
    }
    if (changed) {
      const top = this.scroller.scrollTop;
      this.renderAll();
      this.scroller.scrollTop = top;
      this.updateSelectBar();
    }
  }

  /** A task was created or changed: its messages here show it (or stop showing it). */
  onTask(task: Task): void {
    if (task.chat.id !== this.chatId) return;
    const ref: TaskRef = { id: task.id, title: task.title, status: task.status };
    for (const id of task.messageIds) {
      const node = this.nodes.get(id);
      if (!node) continue;
      const tasks = (node.message.tasks ?? []).filter((x) => x.id !== task.id);
      tasks.push(ref);
      this.replaceMessage({ ...node.message, tasks });
    }
  }

  /** The row changed (live): the header follows. */
  refreshHeader(): void {
    if (!this.chatId) return;
    const row = this.ctx.store.rows.get(this.chatId) ?? null;
    this.row = row;
    const now = Date.now();
    const t = this.ctx.t;
    const waitLabel = row?.waitingSince ? waitText(now - Date.parse(row.waitingSince)) : '';
    const key = JSON.stringify([row, waitLabel, this.ctx.lang]);
    if (key === this.headKey) return;
    this.headKey = key;
    const chat = row?.chat ?? this.info;
    setText(this.title, chat?.title ?? this.chatId);
    const bits = chat ? [t.kinds[chat.kind], chat.clientName && chat.clientName !== chat.title ? chat.clientName : null, row?.isMuted ? t.muted : null, row ? null : t.notInYourList].filter(Boolean) : [];
    setText(this.sub, bits.join(' · '));
    toggleClass(this.status, 'overdue', Boolean(row?.isOverdue));
    toggleClass(this.status, 'waiting', Boolean(row?.waitingSince && !row.isOverdue));
    setText(this.status, row?.waitingSince ? (row.isOverdue ? t.overdueFor(waitLabel) : t.waitingFor(waitLabel)) : '');
    // The alarm, impossible to miss.
    if (row?.alarm) {
      fill(
        this.banner,
        icon('alarm'),
        h('strong', { text: t.alarmBanner(row.alarm.raisedBy?.name ?? t.integration, waitText(now - Date.parse(row.alarm.raisedAt))) }),
        h('span', { text: row.alarm.reason }),
        h('button', { type: 'button', 'data-action': 'clear-alarm', text: t.clearAlarm, onclick: () => row && void chatActions.alarm(this.ctx, this.ctx.store.rows.get(row.chat.id) ?? row) }),
      );
      this.banner.hidden = false;
    } else this.banner.hidden = true;
    // Buttons.
    const b = (label: string, action: string, on: () => void, pressed?: boolean, cls = '') => h('button', { type: 'button', class: cls, 'data-action': action, text: label, 'aria-pressed': pressed === undefined ? null : String(pressed), onclick: on });
    fill(
      this.headButtons,
      row && row.waitingSince ? b(t.itsOk, 'ack', () => void chatActions.ack(this.ctx, row), undefined, 'ok') : null,
      row ? b(row.alarm ? t.clearAlarm : t.raiseAlarm, 'alarm', () => void chatActions.alarm(this.ctx, row), undefined, row.alarm ? '' : 'danger') : null,
      row ? b(row.isStarred ? t.unmark : t.mark, 'star', () => void chatActions.star(this.ctx, row), row.isStarred) : null,
      row && this.ctx.caps.tasks && row.openTaskCount ? b(t.openTasks(row.openTaskCount), 'chat-tasks', () => this.ctx.show('tasks', { chatTasks: true })) : null,
      row
        ? h('button', {
            type: 'button',
            'data-action': 'more',
            'aria-label': t.more,
            text: '⋯',
            onclick: (e: Event) => {
              const r = (e.currentTarget as HTMLElement).getBoundingClientRect();
              const extra = this.ctx.isManager && this.ctx.caps.jobs ? [{ id: 'add-admins', label: t.addAdminsToChat, action: () => openAddMembersToChat(this.ctx, row.chat.id, row.chat.title) }] : [];
              showMenu(rowMenu(this.ctx, row, extra), { x: r.left - 120, y: r.bottom + 4 }, row.chat.title);
            },
          })
        : null,
    );
    this.updateComposerNote();
  }

  // ---- rendering ------------------------------------------------------------------------------------

  private renderAll(): void {
    this.nodes.clear();
    const frag = document.createDocumentFragment();
    let block: HTMLElement | null = null;
    let prev: Message | null = null;
    for (const m of this.messages) {
      if (!prev || dayKey(prev.date) !== dayKey(m.date)) frag.append(h('div.day', { role: 'separator', text: dayLabel(m.date) }));
      if (!block || !this.sameBlock(prev, m) || frag.lastChild !== block) {
        block = this.makeBlock(m);
        frag.append(block);
      }
      block.append(this.makeMessage(m));
      prev = m;
    }
    this.list.replaceChildren(frag);
    setText(this.olderNote, this.hasOlder ? '' : this.ctx.t.chatStart);
  }

  private sameBlock(prev: Message | null, m: Message): boolean {
    return prev !== null && !prev.isService && !m.isService && prev.sender.id === m.sender.id && Date.parse(m.date) - Date.parse(prev.date) <= BLOCK_GAP_MS;
  }

  private appendMessage(m: Message): void {
    const prev = this.messages[this.messages.indexOf(m) - 1] ?? null;
    if (!prev || dayKey(prev.date) !== dayKey(m.date)) this.list.append(h('div.day', { role: 'separator', text: dayLabel(m.date) }));
    let block = this.list.lastElementChild as HTMLElement | null;
    if (!block || !block.classList.contains('block') || !this.sameBlock(prev, m)) {
      block = this.makeBlock(m);
      this.list.append(block);
    }
    block.append(this.makeMessage(m));
  }

  private makeBlock(m: Message): HTMLElement {
    if (m.isService) return h('div.block.service-block');
    const head = h(
      'div.block-head',
      null,
      h('span.sender', { class: `hue${senderHue(m.sender.id)}`, text: m.sender.name }),
      m.sender.isTeam ? h('span.team-tag', { text: this.ctx.t.teamTag }) : null,
      h('time', { datetime: m.date, title: fullTime(m.date), text: shortTime(m.date) }),
    );
    return h('div.block', { class: m.sender.isTeam ? 'team' : 'client' }, head);
  }

  private makeMessage(m: Message): HTMLElement {
    const el = h('div.msg', { id: `msg-${m.id}`, 'data-id': m.id, tabindex: -1, role: 'article' });
    this.paintMessage(el, m);
    this.nodes.set(m.id, { el, message: m });
    return el;
  }

  private replaceMessage(m: Message): void {
    const node = this.nodes.get(m.id);
    if (!node) return;
    node.message = m;
    const i = this.messages.findIndex((x) => x.id === m.id);
    if (i >= 0) this.messages[i] = m;
    this.paintMessage(node.el, m);
  }

  private paintMessage(el: HTMLElement, m: Message): void {
    const t = this.ctx.t;
    const openTasks = (m.tasks ?? []).filter((x) => x.status === 'OPEN');
    el.className = 'msg';
    toggleClass(el, 'service', m.isService);
    toggleClass(el, 'in-task', openTasks.length > 0);
    toggleClass(el, 'selected', this.selection.has(m.id));
    toggleClass(el, 'hit', this.highlight.has(m.id));
    el.setAttribute('aria-selected', String(this.selection.has(m.id)));
    const parts: (Node | null)[] = [];
    if (!m.isService) {
      const box = h('input.sel', { type: 'checkbox', tabindex: -1, 'aria-label': t.selectMessage, checked: this.selection.has(m.id) });
      parts.push(box);
    }
    // First, so that it floats to the right of the first line.
    parts.push(h('span.meta', null, m.editedAt ? h('span.edited', { title: fullTime(m.editedAt), text: t.edited }) : null, h('time', { datetime: m.date, title: fullTime(m.date), text: shortTime(m.date) })));
    if (m.replyToId) {
      const target = this.nodes.get(m.replyToId)?.message ?? this.messages.find((x) => x.id === m.replyToId);
      parts.push(
        h(
          'button.quote',
          { type: 'button', 'data-reply-to': m.replyToId, title: t.goToReplied },
          icon('reply'),
          h('span.quote-name', { text: target ? target.sender.name : t.reply }),
          h('span.quote-text', { text: target ? target.text || target.mediaSummary || '' : t.repliedMessage }),
        ),
      );
    }
    if (m.text) {
      const text = h('div.text');
      for (const p of textPieces(m.text, m.entities)) {
        if (p.href) text.append(h('a', { href: p.href, target: '_blank', rel: 'noopener noreferrer nofollow', text: p.text }));
        else if (p.kind) text.append(h('span', { class: p.kind, text: p.text }));
        else text.append(p.text);
      }
      parts.push(text);
    }
    if (m.mediaSummary && !m.isService) parts.push(h('div.media', null, icon('media'), h('span', { text: m.mediaSummary })));
    else if (m.isService && !m.text) parts.push(h('div.text', { text: m.mediaSummary ?? m.contentKind }));
    for (const task of openTasks) {
      parts.push(h('button.task-badge', { type: 'button', 'data-task-id': task.id, title: t.openTask }, icon('task'), h('span', { text: task.title })));
    }
    fill(el, parts);
    el.setAttribute('aria-label', `${m.sender.name}, ${shortTime(m.date)}${openTasks.length ? `, ${t.taskTag}` : ''}`);
  }

  // ---- selection, keyboard, clicks --------------------------------------------------------------

  private toggleSelect(id: string, on?: boolean): void {
    const want = on ?? !this.selection.has(id);
    if (want) this.selection.add(id);
    else this.selection.delete(id);
    const node = this.nodes.get(id);
    if (node) {
      toggleClass(node.el, 'selected', want);
      node.el.setAttribute('aria-selected', String(want));
      const box = node.el.querySelector<HTMLInputElement>('input.sel');
      if (box) box.checked = want;
    }
    this.updateSelectBar();
  }

  clearSelection(): void {
    for (const id of [...this.selection]) this.toggleSelect(id, false);
  }

  private updateSelectBar(): void {
    const n = this.selection.size;
    this.selectBar.hidden = n === 0;
    setText(this.selectCount, this.ctx.t.selected(n));
    for (const b of this.selectBar.querySelectorAll<HTMLButtonElement>('[data-action="mark-task"], [data-action="reply"]')) b.disabled = n !== 1;
    toggleClass(this.scroller, 'selecting', n > 0);
  }

  private selectedMessages(): Message[] {
    return this.messages.filter((m) => this.selection.has(m.id));
  }

  private createTask(): void {
    const chosen = this.selectedMessages();
    if (!chosen.length || !this.chatId) return;
    openCreateTask(this.ctx, this.chatId, chosen, (task) => {
      this.clearSelection();
      this.onTask(task);
    });
  }

  private markTask(): void {
    const [m] = this.selectedMessages();
    if (!m || !this.chatId) return;
    void markAsTask(this.ctx, this.chatId, m.id).then((task) => {
      if (!task) return;
      this.clearSelection();
      this.onTask(task);
    });
  }

  private replyToSelected(): void {
    const [m] = this.selectedMessages();
    if (!m) return;
    this.clearSelection();
    this.setReply(m);
    this.input.focus();
  }

  private focusMessage(i: number): void {
    if (this.messages.length === 0) return;
    this.focusIndex = Math.max(0, Math.min(this.messages.length - 1, i));
    const node = this.nodes.get(this.messages[this.focusIndex]!.id);
    node?.el.focus({ preventScroll: false });
    node?.el.scrollIntoView({ block: 'nearest' });
  }

  private currentIndex(): number {
    const id = (document.activeElement as HTMLElement | null)?.dataset?.['id'];
    if (id) {
      const i = this.messages.findIndex((m) => m.id === id);
      if (i >= 0) return i;
    }
    return this.focusIndex;
  }

  private onKey(e: KeyboardEvent): void {
    if ((e.target as HTMLElement).tagName === 'A' && e.key === 'Enter') return;
    const i = this.currentIndex();
    const m = i >= 0 ? this.messages[i] : undefined;
    switch (e.key) {
      case 'ArrowDown':
        if (e.shiftKey && m) this.toggleSelect(m.id, true);
        if (i >= this.messages.length - 1 && this.atLatest) {
          this.input.focus();
          break;
        }
        this.focusMessage(i < 0 ? this.messages.length - 1 : i + 1);
        if (e.shiftKey) this.toggleSelect(this.messages[this.focusIndex]!.id, true);
        break;
      case 'ArrowUp':
        if (e.shiftKey && m) this.toggleSelect(m.id, true);
        this.focusMessage(i < 0 ? this.messages.length - 1 : i - 1);
        if (e.shiftKey) this.toggleSelect(this.messages[this.focusIndex]!.id, true);
        break;
      case 'Home':
        if (e.ctrlKey) this.focusMessage(0);
        else return;
        break;
      case 'End':
        if (e.ctrlKey) this.focusMessage(this.messages.length - 1);
        else return;
        break;
      case ' ':
      case 'x':
        if (!m || m.isService) return;
        this.toggleSelect(m.id);
        break;
      case 'r':
        if (!m) return;
        this.setReply(m);
        this.input.focus();
        break;
      case 't':
        if (this.selection.size === 0 && m) this.toggleSelect(m.id, true);
        this.createTask();
        break;
      case 'Enter': {
        const task = m?.tasks?.find((x) => x.status === 'OPEN');
        if (!task) return;
        void openTaskById(this.ctx, task.id);
        break;
      }
      case 'Escape':
        if (this.selection.size) this.clearSelection();
        else document.querySelector<HTMLElement>('.list')?.focus();
        break;
      default:
        return;
    }
    e.preventDefault();
  }

  private onClick(e: MouseEvent): void {
    const target = e.target as HTMLElement;
    if (target.closest('a')) return; // a link is a link
    const taskBtn = target.closest<HTMLElement>('.task-badge');
    if (taskBtn) {
      void openTaskById(this.ctx, taskBtn.dataset['taskId']!);
      return;
    }
    const quote = target.closest<HTMLElement>('.quote');
    if (quote) {
      const id = quote.dataset['replyTo']!;
      const node = this.nodes.get(id);
      if (node) {
        node.el.scrollIntoView({ block: 'center' });
        node.el.focus({ preventScroll: true });
        this.flash(id);
      } else if (this.chatId) void this.open(this.chatId, { around: id });
      return;
    }
    const msg = target.closest<HTMLElement>('.msg');
    if (!msg || msg.classList.contains('service')) return;
    const id = msg.dataset['id']!;
    this.focusIndex = this.messages.findIndex((m) => m.id === id);
    const onBox = target.matches('input.sel');
    if (onBox) {
      this.toggleSelect(id, (target as HTMLInputElement).checked);
      return;
    }
    if (e.ctrlKey || e.metaKey || this.selection.size > 0) {
      if (e.shiftKey && this.selection.size > 0) {
        // Extend from the nearest selected message.
        const idx = this.focusIndex;
        const sel = this.messages.map((m, k) => (this.selection.has(m.id) ? k : -1)).filter((k) => k >= 0);
        const from = sel.reduce((best, k) => (Math.abs(k - idx) < Math.abs(best - idx) ? k : best), sel[0]!);
        for (let k = Math.min(from, idx); k <= Math.max(from, idx); k++) if (!this.messages[k]!.isService) this.toggleSelect(this.messages[k]!.id, true);
      } else this.toggleSelect(id);
    }
  }

  private flash(id: string): void {
    const el = this.nodes.get(id)?.el;
    if (!el) return;
    el.classList.remove('flash');
    void el.offsetWidth;
    el.classList.add('flash');
  }

  // ---- composer ---------------------------------------------------------------------------------------

  private setReply(m: Message | null): void {
    this.replyTo = m;
    if (!m) {
      this.replyChip.hidden = true;
      return;
    }
    fill(
      this.replyChip,
      icon('reply'),
      h('span', { text: this.ctx.t.replyingTo(m.sender.name) }),
      h('span.quote-text', { text: m.text || m.mediaSummary || '' }),
      h('button.x', { type: 'button', 'aria-label': this.ctx.t.cancelReply, onclick: () => this.setReply(null) }, icon('close')),
    );
    this.replyChip.hidden = false;
  }

  private canSend(): boolean {
    return this.ctx.caps.send && this.ctx.ownAccount !== null && this.ctx.ownAccount.id === this.ctx.accountId && this.row !== null;
  }

  updateComposerNote(): void {
    const t = this.ctx.t;
    const can = this.canSend();
    this.input.disabled = !can;
    this.sendButton.disabled = !can || Date.now() < this.floodUntil;
    if (!this.ctx.caps.send) setText(this.composerNote, t.sendUnavailable);
    else if (!can) setText(this.composerNote, this.ctx.ownAccount ? t.notInChat : t.noOwnAccount);
    else setText(this.composerNote, t.sendsAs(this.ctx.ownAccount!.id, this.prefs?.sendTyping ?? false, this.prefs?.linkPreviews ?? true));
  }

  private autosize(): void {
    this.input.style.height = 'auto';
    this.input.style.height = `${Math.min(this.input.scrollHeight, 200)}px`;
  }

  private async send(): Promise<void> {
    const text = this.input.value;
    if (!text.trim() || !this.chatId || !this.canSend() || Date.now() < this.floodUntil) return;
    const chatId = this.chatId;
    this.sendButton.disabled = true;
    this.composerError.textContent = '';
    try {
      await this.ctx.api.request(SEND, { a: this.ctx.accountId, c: chatId, text, replyTo: this.replyTo?.id ?? null });
      if (this.chatId === chatId) {
        this.input.value = '';
        this.autosize();
        this.setReply(null);
        if (!this.atLatest) await this.open(chatId, { focus: true });
        else await this.fetchNewer();
        this.scrollToBottom();
      }
    } catch (e) {
      if (e instanceof ApiError && e.code === 'FLOOD_WAIT' && e.retryAfter !== null) this.startFloodWait(e.retryAfter);
      else this.composerError.textContent = errorText(this.ctx, e);
    } finally {
      this.updateComposerNote();
    }
  }

  private startFloodWait(seconds: number): void {
    this.floodUntil = Date.now() + seconds * 1000;
    const show = () => {
      const left = Math.ceil((this.floodUntil - Date.now()) / 1000);
      if (left <= 0) {
        if (this.floodTimer) clearInterval(this.floodTimer);
        this.floodTimer = null;
        this.composerError.textContent = '';
        this.updateComposerNote();
        return;
      }
      this.composerError.textContent = this.ctx.t.floodWait(left);
    };
    if (this.floodTimer) clearInterval(this.floodTimer);
    this.floodTimer = setInterval(show, 1000);
    show();
    this.updateComposerNote();
  }
}
