/**
 * The operator console: the support team's Telegram view, in the browser (docs/console.md).
 *
 * It signs in with an admin or manager API token tied to a team member (from `#token=…` once,
 * then localStorage), acts as that member's own account, and talks to the daemon only over
 * GraphQL: queries and mutations over HTTP, live data over one graphql-ws socket.
 */
import { Api, ApiError, type ConnectionStatus } from './api.ts';
import { ChatView } from './chat-view.ts';
import type { Capabilities, Ctx, OpenChatOptions, ViewName } from './context.ts';
import { DialogStore, type RefetchNeeds } from './dialogs.ts';
import { h, throttle } from './dom.ts';
import {
  BOOT,
  CAPABILITIES,
  CHAT_EVENTS,
  DIALOG,
  DIALOG_CHANGED,
  DIALOGS,
  ORDER,
  PREFERENCES,
  TASK_CHANGED,
  type BootData,
  type CapabilitiesData,
  type ChatEvent,
  type DialogChange,
  type DialogData,
  type DialogsData,
  type OrderData,
  type Preferences,
  type Row,
  type TaskChange,
} from './gql.ts';
import { currentLang, setLang, strings, type Lang } from './i18n.ts';
import { setFormatLanguage } from './format.ts';
import { Sidebar } from './list-view.ts';
import { SearchView } from './search-view.ts';
import { DesktopNotifier, SettingsView } from './settings-view.ts';
import { TasksView } from './tasks-view.ts';
import { TeamView } from './team-view.ts';

const TOKEN_KEY = 'tgdesk.console.token';
const PAGE = 500;

function storage(key: string, value?: string | null): string | null {
  try {
    if (value === undefined) return localStorage.getItem(key);
    if (value === null) localStorage.removeItem(key);
    else localStorage.setItem(key, value);
  } catch {
    // Without storage the console still works until the page is closed.
  }
  return null;
}

// ---- the fragment: token and language, read once and removed from the address bar -----------

const hash = new URLSearchParams(location.hash.replace(/^#/, ''));
const hashLang = hash.get('lang');
if (hashLang === 'ru' || hashLang === 'en') setLang(hashLang);
if (hash.get('token')) storage(TOKEN_KEY, hash.get('token')!.trim());
if (location.hash) history.replaceState(null, '', location.pathname + location.search);

let lang: Lang = currentLang();
document.documentElement.lang = lang;
setFormatLanguage(lang);

// ---- sign-in --------------------------------------------------------------------------------------

const signin = document.querySelector<HTMLDivElement>('#signin')!;
const signinForm = signin.querySelector('form')!;
const signinInput = signinForm.querySelector('input')!;
const signinError = signinForm.querySelector<HTMLParagraphElement>('.error')!;

function translateStatic(): void {
  const t = strings(lang) as unknown as Record<string, unknown>;
  for (const el of document.querySelectorAll<HTMLElement>('[data-t]')) {
    const v = t[el.dataset['t']!];
    if (typeof v === 'string') el.textContent = v;
  }
}

function showSignIn(message: string): void {
  translateStatic();
  signinError.textContent = message;
  document.querySelector<HTMLElement>('#app')!.hidden = true;
  signin.hidden = false;
  signinInput.focus();
}

signinForm.addEventListener('submit', (e) => {
  e.preventDefault();
  const token = signinInput.value.trim();
  if (!token) return;
  storage(TOKEN_KEY, token);
  signinInput.value = '';
  signin.hidden = true;
  void boot(token);
});

function signOut(): void {
  storage(TOKEN_KEY, null);
  location.reload();
}

// ---- the app ----------------------------------------------------------------------------------------

function capabilities(d: CapabilitiesData): Capabilities {
  const q = new Set(d.q?.fields.map((f) => f.name) ?? []);
  const m = new Set(d.m?.fields.map((f) => f.name) ?? []);
  const s = new Set(d.s?.fields.map((f) => f.name) ?? []);
  return {
    send: m.has('sendMessage'),
    tasks: q.has('tasks') && m.has('createTask') && s.has('taskChanged'),
    jobs: m.has('addMemberToChats') && q.has('membershipJob') && s.has('jobProgress'),
    duty: q.has('duty') && q.has('dutySchedules'),
    alerts: s.has('alerts') && q.has('alertChannels'),
  };
}

async function boot(token: string): Promise<void> {
  const t0 = strings(lang);
  let status: ConnectionStatus = 'connecting';
  let onStatus: (s: ConnectionStatus) => void = (s) => (status = s);
  let onResync: () => void = () => undefined;
  const api = new Api(token, { status: (s) => onStatus(s), resync: () => onResync() });
  let boot: BootData;
  let caps: Capabilities;
  try {
    boot = await api.request<BootData>(BOOT);
    caps = capabilities(await api.request<CapabilitiesData>(CAPABILITIES));
  } catch (e) {
    api.dispose();
    if (e instanceof ApiError && e.code === 'UNAUTHENTICATED') {
      storage(TOKEN_KEY, null);
      showSignIn(t0.tokenRejected);
    } else showSignIn(`${t0.cannotConnect}: ${(e as Error).message}`);
    return;
  }
  const member = boot.me.member;
  if ((boot.me.role !== 'ADMIN' && boot.me.role !== 'MANAGER') || !member) {
    api.dispose();
    storage(TOKEN_KEY, null);
    showSignIn(t0.wrongToken);
    return;
  }
  const own = boot.accounts.find((a) => a.user?.id === member.id) ?? null;
  // Without an account of their own, a member reads the first account's list.
  const accountId = own?.id ?? boot.accounts[0]?.id;
  if (!accountId) {
    showSignIn(t0.noAccounts);
    return;
  }

  const store = new DialogStore();
  const app = document.querySelector<HTMLElement>('#app')!;
  let view: ViewName = 'chat';
  // Views are made below; navigation closes over them.
  let chatView!: ChatView;
  let sidebar!: Sidebar;
  let searchView!: SearchView;
  let tasksView: TasksView | null = null;
  let teamView: TeamView | null = null;
  let settingsView!: SettingsView;

  const ctx: Ctx = {
    api,
    t: t0,
    lang,
    me: boot.me,
    member,
    isManager: boot.me.role === 'MANAGER',
    accountId,
    ownAccount: own,
    accounts: boot.accounts,
    members: boot.teamMembers,
    caps,
    store,
    openChat: (chatId: string, options?: OpenChatOptions) => {
      show('chat');
      sidebar.setActive(chatId);
      void chatView.open(chatId, options);
    },
    show: (v: ViewName, options?: { chatTasks?: boolean }) => show(v, options),
    currentChatId: () => chatView.chatId,
    memberName: (id: string) => ctx.members.find((m) => m.id === id)?.name ?? boot.accounts.find((a) => a.user?.id === id)?.user?.name ?? id,
  };

  chatView = new ChatView(ctx);
  sidebar = new Sidebar(ctx, (q) => {
    show('search');
    void searchView.run(q);
  });
  searchView = new SearchView(ctx);
  if (caps.tasks) tasksView = new TasksView(ctx);
  if (caps.duty || (ctx.isManager && caps.jobs)) teamView = new TeamView(ctx);
  const notifier = new DesktopNotifier(ctx);
  settingsView = new SettingsView(
    ctx,
    notifier,
    (p: Preferences) => {
      chatView.prefs = p;
      chatView.updateComposerNote();
    },
    (l: Lang) => {
      setLang(l);
      location.reload();
    },
    signOut,
  );

  const main = h('main.main', null, chatView.el, searchView.el, tasksView?.el ?? null, teamView?.el ?? null, settingsView.el);
  const banner = h('div.conn-banner', { role: 'alert' });
  banner.hidden = true;
  app.replaceChildren(sidebar.el, main, banner);
  app.hidden = false;

  function show(v: ViewName, options: { chatTasks?: boolean } = {}): void {
    const was = view;
    view = v;
    chatView.el.hidden = v !== 'chat';
    searchView.el.hidden = v !== 'search';
    if (tasksView) tasksView.el.hidden = v !== 'tasks';
    if (teamView) teamView.el.hidden = v !== 'team';
    settingsView.el.hidden = v !== 'settings';
    sidebar.setView(v);
    if (was === 'team' && v !== 'team') teamView?.hide();
    if (v === 'tasks' && tasksView) {
      tasksView.showChat(Boolean(options.chatTasks) && chatView.chatId !== null);
      void tasksView.load();
    }
    if (v === 'team' && was !== 'team') teamView?.show();
    if (v === 'settings') void settingsView.render();
  }
  show('chat');

  // ---- the dialog list: fetch, then live ------------------------------------------------------

  let listReady = false;
  const buffered: DialogChange[] = [];
  const needs: RefetchNeeds = { stable: false, activity: false };

  async function fetchOrder(order: 'STABLE' | 'ACTIVITY'): Promise<void> {
    const ids: string[] = [];
    let after: string | null = null;
    for (;;) {
      const d: OrderData = await api.request<OrderData>(ORDER, { a: accountId, order, first: PAGE, after });
      for (const n of d.dialogs.nodes) ids.push(n.chat.id);
      if (!d.dialogs.pageInfo.hasNextPage) break;
      after = d.dialogs.pageInfo.endCursor;
    }
    store.setPositions(order, ids);
    sidebar.schedule();
  }
  let activityKnown = false;
  const refetchStable = throttle(() => void fetchOrder('STABLE').catch(() => undefined), 500);
  const refetchActivity = throttle(() => {
    if (store.listState.order === 'ACTIVITY') void fetchOrder('ACTIVITY').catch(() => undefined);
    else activityKnown = false;
  }, 1000);

  function afterApply(): void {
    if (needs.stable) refetchStable();
    if (needs.activity) refetchActivity();
    needs.stable = false;
    needs.activity = false;
    sidebar.schedule();
  }

  function applyChange(c: DialogChange): void {
    store.apply(c.chatId, c.dialog, needs);
    if (c.chatId === chatView.chatId) chatView.refreshHeader();
  }

  async function loadDialogs(): Promise<void> {
    listReady = false;
    const rows: Row[] = [];
    let after: string | null = null;
    for (;;) {
      const d: DialogsData = await api.request<DialogsData>(DIALOGS, { a: accountId, first: PAGE, after });
      rows.push(...d.dialogs.nodes);
      if (!d.dialogs.pageInfo.hasNextPage) break;
      after = d.dialogs.pageInfo.endCursor;
    }
    store.reset(rows);
    // The fetch is in the STABLE order: those are its positions.
    store.setPositions(
      'STABLE',
      rows.map((r) => r.chat.id),
    );
    if (store.listState.order === 'ACTIVITY') await fetchOrder('ACTIVITY');
    else activityKnown = false;
    listReady = true;
    // Changes that arrived during the fetch may be older or newer than it: read those rows afresh.
    const again = [...new Set(buffered.splice(0).map((c) => c.chatId))];
    for (const chatId of again) {
      const d = await api.request<DialogData>(DIALOG, { a: accountId, c: chatId });
      store.apply(chatId, d.dialog, needs);
    }
    afterApply();
    if (chatView.chatId) chatView.refreshHeader();
    markReady();
  }

  const origSetOrder = sidebar.setOrder.bind(sidebar);
  sidebar.setOrder = (order) => {
    origSetOrder(order);
    if (order === 'ACTIVITY' && !activityKnown) {
      activityKnown = true;
      void fetchOrder('ACTIVITY').catch(() => (activityKnown = false));
    }
  };

  api.subscribe<{ dialogChanged: DialogChange }>(DIALOG_CHANGED, { a: accountId }, (d) => {
    if (!listReady) buffered.push(d.dialogChanged);
    else {
      applyChange(d.dialogChanged);
      afterApply();
    }
  });

  api.subscribe<{ events: ChatEvent }>(CHAT_EVENTS, {}, (d) => {
    const e = d.events;
    if (!('chatId' in e) || e.chatId !== chatView.chatId) return;
    if (e.__typename === 'MessageAddedEvent') chatView.onMessageAdded();
    else if (e.__typename === 'MessageEditedEvent' && 'message' in e) void chatView.onMessageEdited(e.message.id);
    else if (e.__typename === 'MessagesDeletedEvent' && 'messageIds' in e) chatView.onMessagesDeleted(e.messageIds);
  });

  if (caps.tasks) {
    api.subscribe<{ taskChanged: TaskChange }>(TASK_CHANGED, {}, (d) => {
      chatView.onTask(d.taskChanged.task);
      tasksView?.onTask(d.taskChanged.task);
    });
  }

  void api.request<{ preferences: Preferences | null }>(PREFERENCES).then(
    (d) => {
      chatView.prefs = d.preferences;
      chatView.updateComposerNote();
    },
    () => undefined,
  );
  notifier.sync();

  onStatus = (s) => {
    status = s;
    const t = ctx.t;
    sidebar.setStatus(t.connection[s], s === 'live');
    banner.hidden = s === 'live' || s === 'connecting';
    banner.textContent = s === 'rejected' ? t.tokenRejected : t.connectionLost;
    app.classList.toggle('stale', s !== 'live');
    if (s === 'rejected') {
      storage(TOKEN_KEY, null);
      api.dispose();
      showSignIn(t.tokenRejected);
    }
  };
  onStatus(status);
  onResync = () => {
    void loadDialogs().catch(() => undefined);
    if (chatView.chatId) void chatView.fetchNewer();
    if (view === 'tasks') void tasksView?.load();
  };

  // Waits tick.
  setInterval(() => {
    sidebar.tick();
    chatView.refreshHeader();
  }, 5_000);

  // Global keys: Ctrl+K or / searches, Alt+1…4 switch views, Esc leaves a page for the list.
  document.addEventListener('keydown', (e) => {
    const typing = e.target instanceof HTMLInputElement || e.target instanceof HTMLTextAreaElement || e.target instanceof HTMLSelectElement;
    if ((e.key === 'k' && (e.ctrlKey || e.metaKey)) || (e.key === '/' && !typing)) {
      e.preventDefault();
      sidebar.search.focus();
      sidebar.search.select();
    } else if (e.altKey && ['1', '2', '3', '4'].includes(e.key)) {
      e.preventDefault();
      const v = (['chat', 'tasks', 'team', 'settings'] as ViewName[])[Number(e.key) - 1]!;
      if (v === 'chat') {
        show('chat');
        sidebar.viewport.focus();
      }
      else if ((v !== 'tasks' || tasksView) && (v !== 'team' || teamView)) show(v);
    } else if (e.key === 'Escape' && view !== 'chat' && !document.querySelector('.backdrop, .menu')) {
      show('chat');
      sidebar.viewport.focus();
    }
  });

  // For tests and the benchmark (read-only use).
  (window as unknown as { tgdeskConsole: unknown }).tgdeskConsole = { ctx, store, sidebar, chatView, ready: false };
  function markReady(): void {
    (window as unknown as { tgdeskConsole: { ready: boolean } }).tgdeskConsole.ready = true;
    document.body.dataset['ready'] = 'true';
  }

  try {
    await loadDialogs();
  } catch (e) {
    showSignIn(`${ctx.t.cannotConnect}: ${(e as Error).message}`);
    return;
  }
  sidebar.viewport.focus();
}

const token = storage(TOKEN_KEY);
if (token) void boot(token);
else showSignIn('');
