/**
 * The operator console in a real headless Chromium (Debian's, never a downloaded one) against a
 * daemon on the simulated support company, acting as a team member: signed in by
 * `/console#token=…`, live over graphql-ws. Each scenario leaves a screenshot in artifacts/.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildConsole, launchChromium, screenshot, startConsoleDaemon, type ConsoleDaemon } from './helpers/console-daemon.ts';
import { eventually } from './helpers/sim-daemon.ts';

let c: ConsoleDaemon;
let browser: Browser;
let page: Page;
const errors: string[] = [];

const row = (chatId: string | number) => `.row[data-chat-id="${chatId}"]`;

async function open(token: string, width = 1440, height = 900): Promise<Page> {
  const p = await browser.newPage({ viewport: { width, height }, locale: 'en-US' });
  p.on('pageerror', (e) => errors.push(e.message));
  await p.goto(`${c.url}/console#token=${token}`);
  await p.waitForSelector('body[data-ready="true"]', { timeout: 20_000 });
  return p;
}

/** The chat ids of the rows on screen, top to bottom. */
async function shownOrder(p: Page): Promise<string[]> {
  return p.$$eval('.row:not([hidden])', (rows) =>
    rows
      .map((r) => ({ id: (r as HTMLElement).dataset['chatId']!, y: Number(/translateY\((\d+)px\)/.exec((r as HTMLElement).style.transform)?.[1] ?? 0) }))
      .sort((a, b) => a.y - b.y)
      .map((r) => r.id),
  );
}

async function scrollRowIntoView(p: Page, chatId: string): Promise<void> {
  await p.evaluate((id) => {
    const w = window as unknown as { tgdeskConsole: { sidebar: { indexOf(id: string): number; viewport: HTMLElement } } };
    const i = w.tgdeskConsole.sidebar.indexOf(id);
    if (i >= 0) w.tgdeskConsole.sidebar.viewport.scrollTop = Math.max(0, i * 30 - 60);
  }, chatId);
  await p.waitForSelector(row(chatId), { timeout: 3_000 });
}

/** A client chat the admin's account is in, matching `pick`. */
function adminChat(pick: (x: ConsoleDaemon['demo']['company']['clientChats'][number]) => boolean = () => true) {
  const chat = c.demo.company.clientChats.find((x) => x.teamIds.includes(c.admin.userId) && pick(x));
  if (!chat) throw new Error('no such chat in the admin account');
  return chat;
}

beforeAll(async () => {
  // The console under test is the source in this checkout, not whatever `npm install` built earlier.
  buildConsole();
  // Membership jobs a little throttled, so that their progress can be watched.
  c = await startConsoleDaemon({ teamOps: { jobs: { limits: { minIntervalMs: 250, maxPerDay: 1000 }, removeIntervalMs: 0 } } });
  browser = await launchChromium();
  page = await open(c.admin.token);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await c?.dispose();
});

describe('operator console in Chromium', () => {
  it('signs in from the URL fragment, forgets it from the address bar, and lists the account\'s chats with the unread-chat count', async () => {
    expect(new URL(page.url()).hash).toBe('');
    expect(new URL(page.url()).pathname).toBe('/console/');
    expect(await page.evaluate(() => localStorage.getItem('tgdesk.console.token'))).toBe(c.admin.token);
    const d = await c.gql<{ dialogs: { totalCount: number; unreadChatCount: number } }>('query ($a: ID!) { dialogs(accountId: $a) { totalCount unreadChatCount } }', { a: c.admin.accountId }, c.admin.token);
    expect(await page.textContent('[data-testid="unread-chats"]')).toBe(String(d.dialogs.unreadChatCount));
    expect(await page.evaluate(() => (window as unknown as { tgdeskConsole: { store: { rows: Map<string, unknown> } } }).tgdeskConsole.store.rows.size)).toBe(d.dialogs.totalCount);
    // Compact rows: 30 px, about twice Telegram Desktop's density.
    const h = await page.$eval('.row', (r) => r.getBoundingClientRect().height);
    expect(h).toBeLessThanOrEqual(31);
    // The support folder counts its unread chats.
    const support = await c.gql<{ dialogs: { unreadChatCount: number } }>('query ($a: ID!) { dialogs(accountId: $a, filter: { kind: [SUPPORT] }) { unreadChatCount } }', { a: c.admin.accountId }, c.admin.token);
    expect((await page.textContent('[data-folder="SUPPORT"] .count')) || '0').toBe(String(support.dialogs.unreadChatCount));
    // Readable contrast: every row's text against its row's background, WCAG AA (4.5:1).
    const worst = await page.evaluate(() => {
      const rgb = (c: string) => (c.match(/[\d.]+/g) ?? []).map(Number);
      const lum = (c: string) => {
        const [r, g, b] = rgb(c).map((v) => v / 255).map((v) => (v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4));
        return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
      };
      const ratio = (a: string, b: string) => {
        const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p);
        return (x! + 0.05) / (y! + 0.05);
      };
      let min = { ratio: Infinity, what: '' };
      for (const row of document.querySelectorAll<HTMLElement>('.row:not([hidden])')) {
        const bg = getComputedStyle(row).backgroundColor;
        const back = rgb(bg)[3] === 0 ? 'rgb(255, 255, 255)' : bg;
        for (const part of row.querySelectorAll<HTMLElement>('.title, .preview, .wait')) {
          if (!part.textContent) continue;
          const r = ratio(getComputedStyle(part).color, back);
          if (r < min.ratio) min = { ratio: r, what: `${row.className} ${part.className}` };
        }
      }
      return min;
    });
    expect(worst.ratio, worst.what).toBeGreaterThanOrEqual(4.5);
    await screenshot(page, 'list');

    // An overdue chat is red with its wait; a waiting one amber. Which ones are which, the daemon
    // says; a waiting one must stay short of its deadline while the test looks at it.
    const now = Date.now();
    const mine = c.demo.company.clientChats.filter((x) => x.teamIds.includes(c.admin.userId)).map((x) => String(x.chatId));
    const overdueChat = mine.find((k) => c.daemon.model.waitingView(k, now).isOverdue);
    const waitingChat = mine.find((k) => {
      const w = c.daemon.model.waitingView(k, now);
      return w.waitingSince !== null && !w.isOverdue && (w.deadline === null || w.deadline - now > 120_000);
    });
    expect(overdueChat && waitingChat).toBeTruthy();
    for (const [chatId, state, color] of [
      [overdueChat!, 'overdue', 'rgb(179, 18, 27)'],
      [waitingChat!, 'waiting', 'rgb(122, 74, 0)'],
    ] as const) {
      await scrollRowIntoView(page, chatId);
      const wait = await page.waitForSelector(`${row(chatId)}.${state} .wait`, { timeout: 3_000 });
      expect(await wait.textContent(), state).not.toBe('');
      expect(await wait.evaluate((e) => getComputedStyle(e).color), state).toBe(color);
    }
  });

  it('opens a waiting chat, answers it from the composer as the member (no typing, no preview), and watches it leave "waiting"', async () => {
    // The member's choice first, in Settings.
    await page.click('[data-view="settings"]');
    await page.waitForSelector('input[name="sendTyping"]');
    if (await page.isChecked('input[name="sendTyping"]')) await page.click('input[name="sendTyping"]');
    if (await page.isChecked('input[name="linkPreviews"]')) await page.click('input[name="linkPreviews"]');
    await expect
      .poll(async () => (await c.gql<{ preferences: { sendTyping: boolean; linkPreviews: boolean } }>('{ preferences { sendTyping linkPreviews } }', {}, c.admin.token)).preferences, { timeout: 5_000 })
      .toEqual({ sendTyping: false, linkPreviews: false });
    await screenshot(page, 'settings');

    const chat = adminChat((x) => x.scenario === 'quiet' && !c.daemon.model.overdue.get(String(x.chatId))?.waiting);
    const chatId = String(chat.chatId);
    c.demo.world.sendMessage({ chatId: chat.chatId, senderId: chat.clients[0]!.userId, text: 'Добрый день! Сайт отдаёт 502, посмотрите пожалуйста' });
    await page.click('[data-view="chat"]');
    await page.click('[data-folder="SUPPORT"]');
    await page.click('[data-filter="waiting"]');
    await page.waitForSelector(`${row(chatId)}.waiting, ${row(chatId)}.overdue`, { timeout: 5_000 });
    await page.click(row(chatId));
    await page.waitForSelector('.chat-status.waiting, .chat-status.overdue');
    await page.waitForSelector('.msg >> text=Сайт отдаёт 502');
    await screenshot(page, 'waiting-chat');

    c.demo.world.clearCalls();
    const answer = 'Перезапустили nginx, проверьте: https://status.example.com';
    await page.fill('[data-testid="composer"]', answer);
    await page.press('[data-testid="composer"]', 'Enter');
    // The answer appears in the chat, on the left like every message, and the wait ends.
    await page.waitForSelector(`.msg >> text=Перезапустили nginx`, { timeout: 5_000 });
    await page.waitForSelector(row(chatId), { state: 'detached', timeout: 5_000 }); // left the "Waiting" filter
    expect(await page.textContent('.chat-status')).toBe('');
    expect(c.daemon.model.overdue.get(chatId)?.waiting ?? null).toBeNull();
    const own = await page.$eval('.msg:has-text("Перезапустили nginx")', (e) => e.getBoundingClientRect().left);
    const client = await page.$eval('.msg:has-text("Сайт отдаёт 502")', (e) => e.getBoundingClientRect().left);
    expect(own).toBe(client);
    // The link is a plain link, and no "typing…" nor preview went to Telegram.
    expect(await page.getAttribute('.msg:has-text("Перезапустили nginx") a', 'href')).toBe('https://status.example.com/');
    const calls = c.demo.world.callLog({ accountUserId: c.admin.userId });
    expect(calls.filter((x) => x.method === 'sendChatAction')).toEqual([]);
    const sent = calls.find((x) => x.method === 'sendMessage')!.request as { input_message_content: { link_preview_options?: { is_disabled: boolean } } };
    expect(sent.input_message_content.link_preview_options?.is_disabled).toBe(true);
    await page.click('[data-filter="waiting"]');
    await page.click('[data-folder="ALL"]');
    await screenshot(page, 'answered');
  });

  it('shows a flood wait in the composer, keeps the text, and sends nothing', async () => {
    const chat = adminChat();
    await scrollRowIntoView(page, String(chat.chatId));
    await page.click(row(chat.chatId));
    c.demo.world.failures.tooManyRequests({ method: 'sendMessage', accountUserId: c.admin.userId, retryAfter: 120, times: 1 });
    await page.fill('[data-testid="composer"]', 'это не уйдёт сразу');
    await page.click('[data-action="send"]');
    await page.waitForSelector('.composer-error:has-text("wait 2 min")', { timeout: 5_000 });
    expect(await page.inputValue('[data-testid="composer"]')).toBe('это не уйдёт сразу');
    expect(await page.isDisabled('[data-action="send"]')).toBe(true);
    await screenshot(page, 'flood-wait');
    await page.fill('[data-testid="composer"]', '');
  });

  it('raises and clears an alarm from the context menu', async () => {
    const chat = adminChat((x) => !c.daemon.model.alarms.has(String(x.chatId)));
    const chatId = String(chat.chatId);
    await scrollRowIntoView(page, chatId);
    await page.click(row(chatId), { button: 'right' });
    await page.waitForSelector('.menu [data-action="alarm"]');
    expect(await page.$$eval('.menu .menu-item', (items) => items.map((i) => (i as HTMLElement).dataset['action']))).toEqual(['pin', 'mute', 'alarm', 'ack', 'star']);
    await page.click('.menu [data-action="alarm"]');
    await page.fill('.modal input', 'Клиент звонит: оплата не проходит');
    await page.click('.modal [data-action="confirm"]');
    await page.waitForSelector(`${row(chatId)}.has-alarm .ic.alarm:not([hidden])`, { timeout: 3_000 });
    expect(c.daemon.model.alarms.get(chatId)?.reason).toBe('Клиент звонит: оплата не проходит');
    await page.click(row(chatId));
    await page.waitForSelector('.alarm-banner:has-text("оплата не проходит")');
    await screenshot(page, 'alarm');
    await page.click(row(chatId), { button: 'right' });
    expect(await page.textContent('.menu [data-action="alarm"]')).toBe('Clear alarm');
    await page.click('.menu [data-action="alarm"]');
    await page.waitForSelector(`${row(chatId)}:not(.has-alarm)`, { timeout: 3_000 });
    expect(c.daemon.model.alarms.has(chatId)).toBe(false);
    expect(await page.isHidden('.alarm-banner')).toBe(true);
  });

  it('makes a task of three selected messages, highlights them, and closes it (on the portal too)', async () => {
    const chat = adminChat((x) => x.kind === 'supergroup');
    const chatId = String(chat.chatId);
    await scrollRowIntoView(page, chatId);
    await page.click(row(chatId));
    await page.waitForSelector('.msg:not(.service)');
    const ids = await page.$$eval('.msg:not(.service)', (els) => els.map((e) => (e as HTMLElement).dataset['id']!).slice(-3));
    expect(ids).toHaveLength(3);
    await page.click(`#msg-${ids[0]}`, { modifiers: ["Control"], position: { x: 20, y: 6 } });
    await page.click(`#msg-${ids[1]} input.sel`);
    await page.click(`#msg-${ids[2]} input.sel`);
    expect(await page.textContent('.select-count')).toBe('3 selected');
    await page.click('[data-action="create-task"]');
    const title = await page.inputValue('.modal input[name="title"]');
    expect(title.length).toBeGreaterThan(0);
    await page.selectOption('.modal select[name="assignee"]', String(c.admin.userId));
    await screenshot(page, 'create-task');
    await page.click('.modal [data-action="confirm"]');
    for (const id of ids) await page.waitForSelector(`#msg-${id}.in-task`, { timeout: 5_000 });
    const tasks = await c.gql<{ tasks: { nodes: { id: string; title: string; messageIds: string[]; assignee: { id: string } | null; status: string }[] } }>(
      'query ($c: ID!) { tasks(chatId: $c, status: OPEN) { nodes { id title messageIds assignee { id } status } } }',
      { c: chatId },
      c.admin.token,
    );
    const task = tasks.tasks.nodes.find((t) => t.title === title)!;
    expect([...task.messageIds].sort()).toEqual([...ids].sort());
    expect(task.assignee?.id).toBe(String(c.admin.userId));
    await page.waitForSelector(`${row(chatId)} .tasks:not([hidden])`, { timeout: 3_000 });
    await screenshot(page, 'task-highlighted');

    // The task list: the task opens its chat at its messages, highlighted.
    await page.click('[data-view="tasks"]');
    await page.waitForSelector(`.task-row[data-task-id="${task.id}"]`);
    await screenshot(page, 'tasks');
    await page.click(`.task-row[data-task-id="${task.id}"] .task-title`);
    await page.waitForSelector(`[data-testid="messages"][data-shown="${chatId}"]`);
    for (const id of ids) await page.waitForSelector(`#msg-${id}.hit.in-task`);

    // Closing it from its card: the highlight goes, the portal gets told.
    await page.click(`#msg-${ids[1]} .task-badge`);
    await page.waitForSelector('.modal [data-action="close-task"]');
    await page.click('.modal [data-action="close-task"]');
    await page.waitForSelector('.modal [data-testid="task-status"]:has-text("Closed")');
    await screenshot(page, 'task-closed');
    await page.keyboard.press('Escape');
    for (const id of ids) await page.waitForSelector(`#msg-${id}:not(.in-task)`, { timeout: 5_000 });
    // "Mark as task" on one message: a task of its own, titled after it.
    await page.click(`#msg-${ids[2]} input.sel`);
    await page.click('[data-action="mark-task"]');
    await page.waitForSelector(`#msg-${ids[2]}.in-task .task-badge`, { timeout: 5_000 });
    expect(await page.isHidden('.select-bar')).toBe(true);
    const closed = await c.gql<{ task: { status: string } }>('query ($id: ID!) { task(id: $id) { status } }', { id: task.id }, c.admin.token);
    expect(closed.task.status).toBe('CLOSED');
    const outbox = await c.gql<Record<string, { nodes: { type: string }[] }>>(
      'query ($t: ID!) { p: portalDeliveries(state: PENDING, taskId: $t) { nodes { type } } d: portalDeliveries(state: DELIVERED, taskId: $t) { nodes { type } } x: portalDeliveries(state: DEAD, taskId: $t) { nodes { type } } }',
      { t: task.id },
      c.manager.token,
    );
    expect(Object.values(outbox).flatMap((v) => v.nodes.map((n) => n.type))).toContain('task.closed');
  });

  it('searches an IP address and a Russian word form, grouped by chat, and jumps to the hit', async () => {
    const chat = adminChat((x) => x.kind === 'supergroup');
    const chatId = String(chat.chatId);
    const handle = c.demo.world.sendMessage({ chatId: chat.chatId, senderId: chat.clients[0]!.userId, text: 'После переноса на 10.44.12.7 сервера перезагрузили, но почта не ходит' });
    void handle;
    // Sent after it but dated an hour before: oldest first must go by date, not by arrival.
    c.demo.world.sendMessage({ chatId: chat.chatId, senderId: chat.clients[0]!.userId, text: 'Час назад почта тоже не ходила', date: Math.floor(Date.now() / 1000) - 3600 });
    const found = await eventually(async () => {
      const r = await c.gql<{ search: { hits: unknown[] }[] }>('query { search(query: "10.44.12.7") { hits { message { id } } } }', {}, c.admin.token);
      return r.search.length > 0;
    }, 15_000, 200);
    expect(found).toBe(true);
    for (const query of ['10.44.12.7', 'переносом серверами']) {
      await page.fill('[data-testid="search"]', query);
      await page.press('[data-testid="search"]', 'Enter');
      const group = await page.waitForSelector(`[data-testid="search-results"] .group[data-chat-id="${chatId}"]`, { timeout: 5_000 });
      expect(await group.$eval('h3', (e) => e.textContent)).toContain(chat.title);
      const hit = await group.$('.hit-row:has(mark)');
      expect(hit).not.toBeNull();
      const messageId = (await hit!.getAttribute('data-message-id'))!;
      await screenshot(page, query.includes('.') ? 'search-ip' : 'search-ru');
      await hit!.click();
      await page.waitForSelector(`[data-testid="messages"][data-shown="${chatId}"]`, { timeout: 5_000 });
      const shown = await page.waitForSelector(`#msg-${messageId}.hit`, { timeout: 5_000 });
      expect(await shown.textContent()).toContain('10.44.12.7');
      const box = (await shown.boundingBox())!;
      const viewport = (await page.$eval('[data-testid="messages"]', (e) => e.getBoundingClientRect().toJSON())) as DOMRect;
      expect(box.y).toBeGreaterThanOrEqual(viewport.y);
      expect(box.y + box.height).toBeLessThanOrEqual(viewport.y + viewport.height + 1);
      await screenshot(page, query.includes('.') ? 'search-ip-hit' : 'search-ru-hit');
    }
    // Inside a group hits run oldest first.
    const groups = () =>
      page.evaluate(async () => {
        const res = await fetch('../graphql', {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${localStorage.getItem('tgdesk.console.token')}` },
          body: JSON.stringify({ query: '{ search(query: "почта") { chat { id } hits { message { date } } } }' }),
        });
        return ((await res.json()) as { data: { search: { chat: { id: string }; hits: { message: { date: string } }[] }[] } }).data.search.map((g) => ({ chatId: g.chat.id, dates: g.hits.map((h) => Date.parse(h.message.date)) }));
      });
    await expect.poll(async () => (await groups()).find((g) => g.chatId === chatId)?.dates.length ?? 0, { timeout: 15_000 }).toBeGreaterThanOrEqual(2);
    for (const g of await groups()) expect(g.dates, g.chatId).toEqual([...g.dates].sort((a, b) => a - b));
  });

  it('keeps the stable order while new messages arrive; activity is one click away', async () => {
    await page.click('[data-view="chat"]');
    await page.click('[data-folder="ALL"]');
    await page.click('[data-order="STABLE"]');
    await page.$eval('.list', (e) => (e.scrollTop = 0));
    await page.waitForTimeout(200);
    const before = await shownOrder(page);
    expect(before.length).toBeGreaterThan(5);
    // Messages into chats further down the list, the last one last.
    const targets = [before[before.length - 1]!, before[Math.floor(before.length / 2)]!, before[3]!];
    const texts: string[] = [];
    // Telegram dates messages to the second: a second apart, ending now, the activity order is unambiguous.
    const last = Math.floor(Date.now() / 1000);
    for (const [i, chatId] of targets.entries()) {
      const chat = c.demo.company.clientChats.find((x) => String(x.chatId) === chatId);
      const sender = chat ? chat.clients[0]!.userId : c.demo.company.team.find((m) => m.userId !== c.admin.userId)!.userId;
      const text = `Новое сообщение ${i} для проверки порядка`;
      texts.push(text);
      c.demo.world.sendMessage({ chatId: Number(chatId), senderId: sender, text, date: last - (targets.length - 1 - i) });
    }
    for (const [i, chatId] of targets.entries()) await page.waitForSelector(`${row(chatId)} .preview:has-text("${texts[i]}")`, { timeout: 5_000 });
    await page.waitForTimeout(800);
    expect(await shownOrder(page)).toEqual(before);
    await screenshot(page, 'stable-order');
    await page.click('[data-order="ACTIVITY"]');
    const pinned = await page.$$eval('.row:not([hidden])', (rows) => rows.filter((r) => !r.querySelector('.ic.pin')?.hasAttribute('hidden')).length);
    await expect.poll(async () => (await shownOrder(page))[pinned], { timeout: 5_000 }).toBe(targets[targets.length - 1]);
    await screenshot(page, 'activity-order');
    await page.click('[data-order="STABLE"]');
  });

  it('is usable from the keyboard: list, chat, selection', async () => {
    await page.click('[data-order="URGENCY"]');
    await page.focus('.list');
    await page.keyboard.press('Home');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowDown');
    const cursor = (await page.getAttribute('.list', 'aria-activedescendant'))!;
    expect(cursor).toMatch(/^row-/);
    await page.keyboard.press('Enter');
    await page.waitForSelector(`#${cursor.replace(/([^\w-])/g, '\\$1')}.active`);
    await page.focus('[data-testid="composer"]');
    await page.keyboard.press('ArrowUp');
    const focused = await page.evaluate(() => (document.activeElement as HTMLElement).dataset['id'] ?? null);
    expect(focused).not.toBeNull();
    await page.keyboard.press('ArrowUp');
    await page.keyboard.press('Space');
    expect(await page.textContent('.select-count')).toBe('1 selected');
    await page.keyboard.press('Escape');
    expect(await page.isHidden('.select-bar')).toBe(true);
    await page.keyboard.press('Escape');
    expect(await page.evaluate(() => document.activeElement?.classList.contains('list'))).toBe(true);
    // The context menu from the keyboard.
    await page.keyboard.press('Shift+F10');
    await page.waitForSelector('.menu [data-action="pin"]:focus');
    await page.keyboard.press('Escape');
    await page.waitForSelector('.menu', { state: 'detached' });
    await page.click('[data-order="STABLE"]');
  });

  it('notifies on this device when an alert for the member arrives, once desktop notifications are on', async () => {
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, locale: 'en-US' });
    // The browser's notifications, recorded: headless Chromium shows none.
    await context.addInitScript(`
      window.__notifications = [];
      window.Notification = class {
        static permission = 'default';
        static async requestPermission() { window.Notification.permission = 'granted'; return 'granted'; }
        constructor(title, options) { window.__notifications.push({ title, body: options && options.body }); }
        close() {}
      };
    `);
    const p = await context.newPage();
    p.on('pageerror', (e) => errors.push(e.message));
    try {
      await p.goto(`${c.url}/console#token=${c.admin.token}`);
      await p.waitForSelector('body[data-ready="true"]');
      await p.click('[data-view="settings"]');
      await p.click('input[name="desktop"]');
      await p.waitForSelector('.settings .note:has-text("This browser will notify you")');
      expect(await p.evaluate(() => localStorage.getItem('tgdesk.console.notify'))).toBe('on');
      const chat = adminChat((x) => !c.daemon.model.alarms.has(String(x.chatId)));
      await c.gql('mutation ($c: ID!) { raiseAlarm(chatId: $c, reason: "Сервер клиента недоступен") { raisedAt } }', { c: String(chat.chatId) });
      await p.waitForFunction(() => (window as unknown as { __notifications: { title: string }[] }).__notifications.some((n) => n.title.startsWith('Alarm')), undefined, { timeout: 10_000 });
      const shown = await p.evaluate(() => (window as unknown as { __notifications: { title: string; body: string }[] }).__notifications);
      expect(shown.find((n) => n.title.startsWith('Alarm'))!.title).toContain(chat.title);
      await screenshot(p, 'notifications');
      await c.gql('mutation ($c: ID!) { clearAlarm(chatId: $c) }', { c: String(chat.chatId) });
    } finally {
      await context.close();
    }
  });

  it('lets a manager add an admin to all support chats, showing the plan, then live progress', async () => {
    const mgr = await open(c.manager.token);
    try {
      await mgr.click('[data-view="team"]');
      await mgr.waitForSelector('[data-tab="add"].on');
      // An admin without an account: in few chats, every add is real work.
      const target = c.demo.company.team.find((m) => m.role === 'admin' && !m.isAccount)!;
      await mgr.selectOption('select[name="member"]', String(target.userId));
      await mgr.check('input[name="target"][value="all"]');
      await mgr.click('[data-action="plan"]');
      await mgr.waitForSelector('[data-testid="plan"] table tbody tr');
      const planText = (await mgr.textContent('.plan-counts'))!;
      const todo = Number(/(\d+) to do/.exec(planText)![1]);
      expect(todo).toBeGreaterThan(0);
      await screenshot(mgr, 'plan');
      // Every value the progress bar shows, recorded in the page (a test's polls are too slow to see them all).
      await mgr.evaluate(() => {
        const seen: number[] = [];
        (window as unknown as { __progress: number[] }).__progress = seen;
        setInterval(() => {
          const v = document.querySelector('[data-testid="job-progress"]')?.getAttribute('aria-valuenow');
          if (v !== null && v !== undefined && seen[seen.length - 1] !== Number(v)) seen.push(Number(v));
        }, 10);
      });
      await mgr.click('[data-action="start-job"]');
      await mgr.waitForSelector('[data-testid="job-progress"]');
      await expect.poll(() => mgr.textContent('[data-testid="job-state"]'), { timeout: 60_000, interval: 100 }).toBe('done');
      // The recorder samples every 10 ms: give it the frame that drew "done" before reading.
      await expect.poll(() => mgr.evaluate(() => (window as unknown as { __progress: number[] }).__progress.at(-1)), { timeout: 5_000, interval: 20 }).toBe(100);
      const seen = new Set(await mgr.evaluate(() => (window as unknown as { __progress: number[] }).__progress));
      await screenshot(mgr, 'job-done');
      // It moved through the way, not in one jump.
      expect([...seen].some((v) => v > 0 && v < 100)).toBe(true);
      expect(seen.has(100)).toBe(true);
      const counts = (await mgr.textContent('[data-testid="job-counts"]'))!;
      expect(Number(/(\d+) done/.exec(counts)![1]) + Number(/(\d+) invited/.exec(counts)![1])).toBeGreaterThan(0);
      // Every support chat the daemon knows has the admin now, or says why not.
      const report = await c.gql<{ membershipJobs: { state: string; counts: { total: number; pending: number } }[] }>('{ membershipJobs(first: 1) { state counts { total pending } } }');
      expect(report.membershipJobs[0]).toMatchObject({ state: 'DONE', counts: { pending: 0 } });
      // Offboarding shows its plan first and starts nothing by itself: the plan is a dry run, so
      // by the time it is shown a job it had started would be listed.
      const jobIds = async () => (await c.gql<{ membershipJobs: { id: string }[] }>('{ membershipJobs(first: 100) { id } }')).membershipJobs.map((j) => j.id);
      const jobsBefore = await jobIds();
      await mgr.click('[data-tab="offboard"]');
      await mgr.selectOption('select[name="member"]', String(target.userId));
      await mgr.click('[data-action="plan"]');
      await mgr.waitForSelector('[data-testid="plan"] table tbody tr');
      expect(await mgr.isEnabled('[data-action="start-job"]')).toBe(true);
      expect(await jobIds()).toEqual(jobsBefore);
      await screenshot(mgr, 'offboarding-plan');

      // "Add admins to this chat", from the chat: every team member is listed.
      await mgr.click('[data-view="chat"]');
      const chatRow = await mgr.waitForSelector('.row');
      await chatRow.click();
      await mgr.click('.head-buttons [data-action="more"]');
      await mgr.click('.menu [data-action="add-admins"]');
      await mgr.waitForSelector('.modal .member-list');
      expect(await mgr.$$eval('.modal .member-list input[type="checkbox"]', (b) => b.length)).toBe(c.demo.company.team.length);
      await mgr.click('.modal [data-action="plan"]');
      await mgr.waitForSelector('.modal [data-testid="plan"]');
      await screenshot(mgr, 'add-admins-plan');
      await mgr.click('.modal [data-action="start-job"]');
      await expect.poll(() => mgr.textContent('.modal [data-testid="job-state"]'), { timeout: 30_000 }).toBe('done');
      await mgr.keyboard.press('Escape');
      await mgr.click('[data-view="team"]');

      // Duty is on the same page.
      await mgr.click('[data-tab="duty"]');
      await mgr.waitForSelector('[data-testid="duty-now"]');
      // A weekly schedule, set from the form (Monday to Friday, 09:00–18:00 by default), then removed.
      await mgr.click('button:has-text("Add a schedule")');
      await mgr.selectOption('.modal select', String(target.userId));
      await mgr.fill('.modal input[type="text"]', 'Europe/Moscow');
      await mgr.click('.modal button.primary');
      await mgr.waitForSelector(`.duty table td:has-text("${target.name}")`);
      const schedules = await c.gql<{ dutySchedules: { memberId: string; timeZone: string; shifts: { day: number; from: string; to: string }[] }[] }>('{ dutySchedules { memberId timeZone shifts { day from to } } }');
      expect(schedules.dutySchedules.find((x) => x.memberId === String(target.userId))).toMatchObject({ timeZone: 'Europe/Moscow', shifts: [1, 2, 3, 4, 5].map((day) => ({ day, from: '09:00', to: '18:00' })) });
      await screenshot(mgr, 'duty');
      await mgr.click(`.duty tr:has-text("${target.name}") button:has-text("Remove")`);
      await mgr.click('.modal [data-action="confirm"]');
      await mgr.waitForSelector(`.duty table td:has-text("${target.name}")`, { state: 'detached' });
    } finally {
      await mgr.close();
    }
  }, 90_000);

  it('speaks Russian when asked, and threw no page errors', async () => {
    const ru = await browser.newPage({ viewport: { width: 1440, height: 900 }, locale: 'ru-RU' });
    ru.on('pageerror', (e) => errors.push(e.message));
    await ru.goto(`${c.url}/console#token=${c.admin.token}&lang=ru`);
    await ru.waitForSelector('body[data-ready="true"]');
    expect(await ru.textContent('[data-folder="SUPPORT"] span')).toBe('Клиенты');
    expect(await ru.textContent('[data-action="read-all"]')).toBe('Прочитать все');
    await screenshot(ru, 'ru');
    await ru.close();
    expect(errors).toEqual([]);
  });
});
