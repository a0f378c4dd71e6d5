/**
 * The left column: who is signed in, the unread-chat count, navigation, the search box, folders
 * with their unread-chat counts, order and filter switches, "Read all", and the dialog list.
 *
 * The list is virtual: a fixed row height, only the rows on screen (plus a few) exist in the
 * DOM, and a row's nodes are written only when its data changed, so 2,000 chats with messages
 * arriving every 100 ms scroll like 20. Keyboard: arrows, Page Up/Down, Home/End move the
 * cursor, Enter opens, the context-menu key or Shift+F10 opens the row's menu.
 */
import { chatActions, rowMenu } from './actions.ts';
import type { Ctx, ViewName } from './context.ts';
import { FOLDERS, type Folder, type QuickFilter } from './dialogs.ts';
import { h, setText, toggleClass } from './dom.ts';
import { waitText } from './format.ts';
import type { DialogOrder, Row } from './gql.ts';
import { icon, type IconName } from './icons.ts';
import { showMenu } from './ui.ts';

export const ROW_HEIGHT = 30;
const OVERSCAN = 8;
const FILTERS: readonly QuickFilter[] = ['unread', 'mentioned', 'waiting', 'overdue', 'alarm', 'starred'];
const ORDERS: readonly DialogOrder[] = ['STABLE', 'ACTIVITY', 'URGENCY'];

interface RowNode {
  readonly el: HTMLDivElement;
  readonly pin: HTMLElement;
  readonly alarm: HTMLElement;
  readonly star: HTMLElement;
  readonly title: HTMLElement;
  readonly preview: HTMLElement;
  readonly wait: HTMLElement;
  readonly mention: HTMLElement;
  readonly tasks: HTMLElement;
  readonly badge: HTMLElement;
  chatId: string;
  row: Row | null;
  index: number;
  waitLabel: string;
  lang: string;
}

function slot(name: IconName, cls: string): HTMLElement {
  const el = h('span', { class: `ic ${cls}` });
  el.append(icon(name));
  el.hidden = true;
  return el;
}

export class Sidebar {
  readonly el: HTMLElement;
  readonly search: HTMLInputElement;
  readonly viewport: HTMLDivElement;
  private readonly spacer: HTMLDivElement;
  private readonly unreadTotal: HTMLElement;
  private readonly conn: HTMLElement;
  private readonly folderButtons = new Map<Folder, { btn: HTMLButtonElement; count: HTMLElement }>();
  private readonly filterButtons = new Map<QuickFilter, HTMLButtonElement>();
  private readonly orderButtons = new Map<DialogOrder, HTMLButtonElement>();
  private readonly navButtons = new Map<ViewName, HTMLButtonElement>();
  private readonly empty: HTMLElement;
  private nodes = new Map<string, RowNode>();
  private free: RowNode[] = [];
  private drawnVersion = -1;
  private drawnTop = -1;
  private drawnHeight = -1;
  private frame = 0;
  private cursor: string | null = null;
  private activeChat: string | null = null;
  private ids: readonly string[] = [];

  constructor(
    private readonly ctx: Ctx,
    private readonly onSearch: (query: string) => void,
  ) {
    const t = ctx.t;
    this.unreadTotal = h('span.unread-total', { 'data-testid': 'unread-chats' });
    this.conn = h('span.conn', { role: 'status' });
    const nav = h('nav.nav', { 'aria-label': t.navigation });
    const views: [ViewName, IconName, boolean][] = [
      ['chat', 'chats', true],
      ['tasks', 'tasks', ctx.caps.tasks],
      ['team', 'team', ctx.caps.duty || (ctx.isManager && ctx.caps.jobs)],
      ['settings', 'settings', true],
    ];
    for (const [view, ic, on] of views) {
      if (!on) continue;
      const btn = h('button.nav-btn', { type: 'button', 'data-view': view, title: t.views[view], 'aria-label': t.views[view], onclick: () => ctx.show(view) });
      btn.append(icon(ic));
      nav.append(btn);
      this.navButtons.set(view, btn);
    }
    const sub = ctx.ownAccount ? ctx.ownAccount.id : t.viewingAccount(ctx.accountId);
    const header = h('header.side-head', null, h('div.who', null, h('strong', { text: ctx.member.name }), h('span.sub', { text: sub })), h('div.unread', { title: t.unreadChatsTitle }, this.unreadTotal), this.conn, nav);

    this.search = h('input.search', { type: 'search', placeholder: t.searchPlaceholder, 'aria-label': t.searchPlaceholder, 'data-testid': 'search' });
    this.search.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') {
        e.preventDefault();
        const q = this.search.value.trim();
        if (q) this.onSearch(q);
      } else if (e.key === 'Escape') {
        this.search.value = '';
        this.viewport.focus();
      } else if (e.key === 'ArrowDown') {
        e.preventDefault();
        this.viewport.focus();
      }
    });

    const folders = h('div.folders', { role: 'tablist', 'aria-label': t.foldersLabel });
    for (const f of FOLDERS) {
      const count = h('span.count');
      const btn = h('button.folder', { type: 'button', role: 'tab', 'data-folder': f, onclick: () => this.setFolder(f) }, h('span', { text: t.folders[f] }), count);
      folders.append(btn);
      this.folderButtons.set(f, { btn, count });
    }

    const orders = h('div.seg', { role: 'radiogroup', 'aria-label': t.orderLabel });
    for (const o of ORDERS) {
      const btn = h('button', { type: 'button', role: 'radio', 'data-order': o, text: t.orders[o], title: t.orderHints[o], onclick: () => this.setOrder(o) });
      orders.append(btn);
      this.orderButtons.set(o, btn);
    }
    const filters = h('div.chips', { role: 'group', 'aria-label': t.filterLabel });
    for (const f of FILTERS) {
      const btn = h('button.chip', { type: 'button', 'data-filter': f, text: t.filters[f], 'aria-pressed': 'false', onclick: () => this.setFilter(ctx.store.listState.filter === f ? null : f) });
      filters.append(btn);
      this.filterButtons.set(f, btn);
    }
    const readAll = h('button.read-all', {
      type: 'button',
      text: t.readAll,
      'data-action': 'read-all',
      disabled: ctx.ownAccount?.id !== ctx.accountId,
      onclick: () => void chatActions.readAll(ctx, ctx.store.listState.folder),
    });
    const tools = h('div.tools', null, orders, readAll, filters);

    this.spacer = h('div.spacer');
    this.empty = h('div.list-empty', { text: t.noChats });
    this.empty.hidden = true;
    this.viewport = h('div.list', { role: 'listbox', tabindex: 0, 'aria-label': t.chatList, 'data-testid': 'dialog-list' }, this.spacer, this.empty);
    this.viewport.addEventListener('scroll', () => this.schedule(), { passive: true });
    this.viewport.addEventListener('keydown', (e) => this.onKey(e));
    this.viewport.addEventListener('click', (e) => {
      const node = this.nodeOf(e.target);
      if (!node) return;
      this.cursor = node.chatId;
      ctx.openChat(node.chatId);
    });
    this.viewport.addEventListener('contextmenu', (e) => {
      const node = this.nodeOf(e.target);
      if (!node?.row) return;
      e.preventDefault();
      this.cursor = node.chatId;
      this.schedule();
      showMenu(rowMenu(ctx, node.row), { x: e.clientX, y: e.clientY }, node.row.chat.title);
    });
    new ResizeObserver(() => this.schedule()).observe(this.viewport);

    this.el = h('aside.side', { 'aria-label': t.chatList }, header, h('div.search-box', null, this.search), folders, tools, this.viewport);
    this.syncControls();
  }

  private nodeOf(target: EventTarget | null): RowNode | null {
    const el = (target as Element | null)?.closest?.('.row') as HTMLElement | null;
    const id = el?.dataset['chatId'];
    return id ? (this.nodes.get(id) ?? null) : null;
  }

  setFolder(folder: Folder): void {
    this.ctx.store.setState({ folder });
    this.viewport.scrollTop = 0;
    this.syncControls();
    this.schedule();
  }

  setFilter(filter: QuickFilter | null): void {
    this.ctx.store.setState({ filter });
    this.viewport.scrollTop = 0;
    this.syncControls();
    this.schedule();
  }

  setOrder(order: DialogOrder): void {
    this.ctx.store.setState({ order });
    this.viewport.scrollTop = 0;
    this.syncControls();
    this.schedule();
  }

  private syncControls(): void {
    const s = this.ctx.store.listState;
    for (const [f, { btn }] of this.folderButtons) {
      toggleClass(btn, 'on', f === s.folder);
      btn.setAttribute('aria-selected', String(f === s.folder));
    }
    for (const [f, btn] of this.filterButtons) {
      toggleClass(btn, 'on', f === s.filter);
      btn.setAttribute('aria-pressed', String(f === s.filter));
    }
    for (const [o, btn] of this.orderButtons) {
      toggleClass(btn, 'on', o === s.order);
      btn.setAttribute('aria-checked', String(o === s.order));
    }
  }

  setView(view: ViewName): void {
    for (const [v, btn] of this.navButtons) {
      toggleClass(btn, 'on', v === view);
      if (v === view) btn.setAttribute('aria-current', 'page');
      else btn.removeAttribute('aria-current');
    }
  }

  setStatus(text: string, live: boolean): void {
    setText(this.conn, text);
    toggleClass(this.conn, 'live', live);
  }

  setActive(chatId: string | null): void {
    this.activeChat = chatId;
    if (chatId) this.cursor = chatId;
    this.drawnVersion = -1;
    this.draw();
  }

  /** Redraws on the next frame (coalesced). */
  schedule(): void {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.draw();
    });
  }

  /** Re-paints waits (they tick) on the next frame. */
  tick(): void {
    this.drawnVersion = -1;
    this.schedule();
  }

  private draw(): void {
    const store = this.ctx.store;
    const top = this.viewport.scrollTop;
    const height = this.viewport.clientHeight;
    if (store.version === this.drawnVersion && top === this.drawnTop && height === this.drawnHeight) return;
    const versionChanged = store.version !== this.drawnVersion;
    this.drawnVersion = store.version;
    this.drawnTop = top;
    this.drawnHeight = height;
    const ids = store.visible();
    this.ids = ids;
    if (versionChanged) {
      const counts = store.unreadCounts();
      setText(this.unreadTotal, String(counts.get('ALL') ?? 0));
      for (const [f, { count }] of this.folderButtons) {
        const n = counts.get(f) ?? 0;
        setText(count, n ? String(n) : '');
      }
      const total = `${ids.length * ROW_HEIGHT}px`;
      if (this.spacer.style.height !== total) this.spacer.style.height = total;
      this.empty.hidden = ids.length > 0;
    }
    const first = Math.max(0, Math.floor(top / ROW_HEIGHT) - OVERSCAN);
    const last = Math.min(ids.length, Math.ceil((top + height) / ROW_HEIGHT) + OVERSCAN);
    const wanted = new Set<string>();
    for (let i = first; i < last; i++) wanted.add(ids[i]!);
    for (const [id, node] of this.nodes) {
      if (!wanted.has(id)) {
        this.nodes.delete(id);
        node.el.hidden = true;
        node.row = null;
        node.el.removeAttribute('data-chat-id');
        node.el.removeAttribute('id');
        this.free.push(node);
      }
    }
    const now = Date.now();
    for (let i = first; i < last; i++) {
      const id = ids[i]!;
      let node = this.nodes.get(id);
      if (!node) {
        node = this.free.pop() ?? this.makeNode();
        node.chatId = id;
        node.el.dataset['chatId'] = id;
        node.el.id = `row-${id}`;
        node.el.hidden = false;
        node.index = -1;
        this.nodes.set(id, node);
      }
      if (node.index !== i) {
        node.index = i;
        node.el.style.transform = `translateY(${i * ROW_HEIGHT}px)`;
      }
      this.paint(node, store.rows.get(id)!, now);
    }
    const cursorShown = this.cursor !== null && this.nodes.has(this.cursor);
    if (cursorShown) this.viewport.setAttribute('aria-activedescendant', `row-${this.cursor}`);
    else this.viewport.removeAttribute('aria-activedescendant');
  }

  private makeNode(): RowNode {
    const pin = slot('pin', 'pin');
    const alarm = slot('alarm', 'alarm');
    const star = slot('star', 'star');
    const title = h('span.title');
    const preview = h('span.preview');
    const wait = h('span.wait');
    const mention = h('span.mention', { text: '@', title: this.ctx.t.mentionTitle });
    mention.hidden = true;
    const tasks = h('span.tasks');
    tasks.append(icon('task'), h('span'));
    tasks.hidden = true;
    const badge = h('span.badge');
    const el = h('div.row', { role: 'option' }, pin, alarm, star, title, preview, wait, mention, tasks, badge);
    this.spacer.append(el);
    return { el, pin, alarm, star, title, preview, wait, mention, tasks, badge, chatId: '', row: null, index: -1, waitLabel: '', lang: '' };
  }

  private paint(node: RowNode, row: Row, now: number): void {
    const t = this.ctx.t;
    const active = row.chat.id === this.activeChat;
    const cursor = row.chat.id === this.cursor;
    toggleClass(node.el, 'active', active);
    toggleClass(node.el, 'cursor', cursor);
    node.el.setAttribute('aria-selected', String(active));
    let waitLabel = '';
    if (row.waitingSince) waitLabel = waitText(now - Date.parse(row.waitingSince));
    if (node.row === row && node.waitLabel === waitLabel && node.lang === this.ctx.lang) return;
    node.row = row;
    node.waitLabel = waitLabel;
    node.lang = this.ctx.lang;
    toggleClass(node.el, 'overdue', row.isOverdue);
    toggleClass(node.el, 'waiting', row.waitingSince !== null && !row.isOverdue);
    toggleClass(node.el, 'muted', row.isMuted);
    toggleClass(node.el, 'unread', row.isUnread);
    toggleClass(node.el, 'has-alarm', row.alarm !== null);
    node.pin.hidden = !row.isPinned;
    node.alarm.hidden = row.alarm === null;
    node.star.hidden = !row.isStarred;
    setText(node.title, row.chat.title);
    const last = row.lastMessage;
    setText(node.preview, last ? `${last.sender.name.split(' ')[0]}: ${last.text}` : '');
    setText(node.wait, waitLabel);
    node.wait.title = row.isOverdue ? t.overdueFor(waitLabel) : waitLabel ? t.waitingFor(waitLabel) : '';
    node.mention.hidden = !row.hasUnreadMention;
    node.tasks.hidden = row.openTaskCount === 0;
    if (row.openTaskCount) {
      setText(node.tasks.lastChild as Element, String(row.openTaskCount));
      node.tasks.title = t.openTasks(row.openTaskCount);
    }
    setText(node.badge, row.unreadCount ? String(row.unreadCount) : row.isUnread ? '•' : '');
    node.el.setAttribute('aria-label', t.rowLabel(row, waitLabel));
  }

  private moveCursor(to: number): void {
    const ids = this.ctx.store.visible();
    if (ids.length === 0) return;
    const i = Math.max(0, Math.min(ids.length - 1, to));
    this.cursor = ids[i]!;
    const y = i * ROW_HEIGHT;
    const vp = this.viewport;
    if (y < vp.scrollTop) vp.scrollTop = y;
    else if (y + ROW_HEIGHT > vp.scrollTop + vp.clientHeight) vp.scrollTop = y + ROW_HEIGHT - vp.clientHeight;
    // At once, not on the next frame: the cursor must follow the key without a lag.
    this.drawnVersion = -1;
    this.draw();
  }

  private onKey(e: KeyboardEvent): void {
    const ids = this.ctx.store.visible();
    const at = this.cursor === null ? -1 : ids.indexOf(this.cursor);
    const page = Math.max(1, Math.floor(this.viewport.clientHeight / ROW_HEIGHT) - 1);
    switch (e.key) {
      case 'ArrowDown':
        this.moveCursor(at + 1);
        break;
      case 'ArrowUp':
        if (at <= 0) {
          this.search.focus();
          break;
        }
        this.moveCursor(at - 1);
        break;
      case 'PageDown':
        this.moveCursor(at + page);
        break;
      case 'PageUp':
        this.moveCursor(Math.max(0, at - page));
        break;
      case 'Home':
        this.moveCursor(0);
        break;
      case 'End':
        this.moveCursor(ids.length - 1);
        break;
      case 'Enter':
      case 'ArrowRight':
        if (this.cursor) this.ctx.openChat(this.cursor, { focus: e.key === 'ArrowRight' || e.ctrlKey });
        break;
      case 'ContextMenu':
      case 'F10': {
        if (e.key === 'F10' && !e.shiftKey) return;
        const row = this.cursor ? this.ctx.store.rows.get(this.cursor) : undefined;
        const node = this.cursor ? this.nodes.get(this.cursor) : undefined;
        if (!row || !node) return;
        const r = node.el.getBoundingClientRect();
        showMenu(rowMenu(this.ctx, row), { x: r.left + 40, y: r.bottom }, row.chat.title);
        break;
      }
      default:
        return;
    }
    e.preventDefault();
  }

  /** Index of a chat in the list as shown (for tests and the benchmark), -1 if not in it. */
  indexOf(chatId: string): number {
    return this.ids.indexOf(chatId);
  }
}
