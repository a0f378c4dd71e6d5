/**
 * Drawing the wall. Rows are a fixed pool of elements reused in place, and every text or class is
 * written only when it differs from what is on screen, so a busy second costs a few text nodes,
 * not a rebuilt list: frames stay well under 16 ms with 500 chats changing 50 times a second.
 */
import { clockDuration, percent, shortDuration, shortName, timeOfDay } from './format.ts';
import type { Lang, Strings } from './i18n.ts';
import { isOverdueAt, pickAlarms, pickWaiting, type MemberActivity, type Row, type WallState } from './state.ts';

const MAX_ALARMS = 3;
const MAX_PEOPLE = 5;
/** Someone who wrote in a support chat this recently shows as active. */
const ACTIVE_MS = 15 * 60_000;

function el<K extends keyof HTMLElementTagNameMap>(tag: K, cls?: string, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

function setText(e: Element, text: string): void {
  if (e.textContent !== text) e.textContent = text;
}

function setClass(e: Element, cls: string): void {
  if (e.className !== cls) e.className = cls;
}

function need<T extends Element>(root: ParentNode, selector: string): T {
  const e = root.querySelector<T>(selector);
  if (!e) throw new Error(`the page lacks ${selector}`);
  return e;
}

interface RowView {
  readonly root: HTMLDivElement;
  readonly name: HTMLDivElement;
  readonly resp: HTMLDivElement;
  readonly respText: Text;
  readonly badge: HTMLSpanElement;
  readonly time: HTMLDivElement;
  chatId: string | null;
}

function rowView(): RowView {
  const root = el('div', 'row');
  root.append(el('div', 'bar'));
  const name = el('div', 'name');
  const resp = el('div', 'resp');
  const respText = document.createTextNode('');
  const badge = el('span', 'badge');
  resp.append(respText);
  const time = el('div', 'time num');
  root.append(name, resp, time);
  return { root, name, resp, respText, badge, time, chatId: null };
}

export class WallView {
  private readonly app = need<HTMLDivElement>(document, '#app');
  private readonly conn = need<HTMLDivElement>(document, '#conn');
  private readonly clock = need<HTMLDivElement>(document, '#clock');
  private readonly banner = need<HTMLDivElement>(document, '#banner');
  private readonly alarms = need<HTMLDivElement>(document, '#alarms');
  private readonly list = need<HTMLDivElement>(document, '#list');
  private readonly more = need<HTMLDivElement>(document, '#more');
  private readonly counts = need<HTMLDivElement>(document, '#counts');
  private readonly duty = need<HTMLDivElement>(document, '#duty');
  private readonly figs = need<HTMLDivElement>(document, '#today .figs');
  private readonly share = need<HTMLDivElement>(document, '#today .share');
  private readonly chart = need<HTMLDivElement>(document, '#chart');
  private readonly today = need<HTMLDivElement>(document, '#today');
  private readonly statsNote = need<HTMLDivElement>(document, '#today .stats-note');
  private readonly pool: RowView[] = [];
  private capacity = 8;
  private drawnStats = -1;
  private drawnCountsKey = '';
  private drawnDutyKey = '';
  private drawnAlarmsKey = '';

  constructor(
    private readonly state: WallState,
    private t: Strings,
    private lang: Lang,
  ) {
    this.measure();
  }

  setLanguage(lang: Lang, t: Strings): void {
    this.lang = lang;
    this.t = t;
    document.documentElement.lang = lang;
    for (const e of document.querySelectorAll<HTMLElement>('[data-t]')) {
      const v = (t as unknown as Record<string, unknown>)[e.dataset['t']!];
      if (typeof v === 'string') e.textContent = v;
    }
    for (const b of document.querySelectorAll<HTMLButtonElement>('#lang button')) b.classList.toggle('on', b.dataset['lang'] === lang);
    this.drawnStats = -1;
    this.drawnCountsKey = '';
    this.drawnDutyKey = '';
    this.drawnAlarmsKey = '';
  }

  /** How many rows fit the list; called at start and on resize. */
  measure(): void {
    const pitch = (7.6 * window.innerHeight) / 100;
    const height = this.list.clientHeight || window.innerHeight * 0.6;
    this.capacity = Math.max(1, Math.floor((height + 1) / pitch));
  }

  status(kind: 'connecting' | 'live' | 'down' | 'rejected', stale: boolean): void {
    this.app.classList.toggle('stale', stale);
    setClass(this.conn, kind === 'live' && !stale ? 'live' : kind === 'down' || stale ? 'down' : '');
    const since = this.state.lastUpdateAt === null ? '—' : timeOfDay(this.state.lastUpdateAt, this.lang, true);
    setText(this.conn, kind === 'live' && !stale ? this.t.live : kind === 'connecting' && this.state.lastUpdateAt === null ? this.t.connecting : this.t.stale(since));
    setText(this.banner, this.state.lastUpdateAt === null ? this.t.connecting : this.t.stale(since));
  }

  /** Everything that depends on the clock or the state; cheap when little changed. */
  draw(): void {
    const now = this.state.now();
    setText(this.clock, timeOfDay(now, this.lang));
    this.drawAlarms(now);
    this.drawList(now);
    this.drawCounts();
    this.drawDuty(now);
    if (this.drawnStats !== this.statsVersion) this.drawStats();
  }

  private statsVersion = 0;
  statsChanged(): void {
    this.statsVersion++;
  }

  private drawAlarms(now: number): void {
    const { shown, hidden } = pickAlarms(this.state.rows.values(), MAX_ALARMS);
    // Ages move by the minute; rebuilding the few cards then is simpler than patching them.
    const key = `${shown.map((r) => `${r.chat.chatId}|${r.alarmAt}|${r.chat.clientName}|${r.chat.alarm?.reason}`).join(',')}|${hidden}|${Math.floor(now / 60_000)}|${this.lang}`;
    if (key === this.drawnAlarmsKey) return;
    this.drawnAlarmsKey = key;
    const cards: HTMLElement[] = shown.map((r) => {
      const a = r.chat.alarm!;
      const card = el('div', 'alarm');
      card.dataset['chatId'] = r.chat.chatId;
      card.append(el('div', 'icon', '!'));
      card.append(el('div', 'who', `${this.t.alarms}: ${r.chat.clientName ?? r.chat.title}`));
      const why = el('div', 'why', a.reason || '—');
      why.append(el('span', 'meta', this.t.raisedBy(a.raisedBy ? shortName(a.raisedBy.name) : '—', shortDuration(now - r.alarmAt!, this.lang))));
      card.append(why);
      return card;
    });
    if (hidden > 0) cards.push(el('div', 'alarm-more', this.t.moreAlarms(hidden)));
    this.alarms.replaceChildren(...cards);
    // The alarms take room from the list.
    this.measure();
  }

  private drawList(now: number): void {
    const { shown, hidden, hiddenOverdue } = pickWaiting(this.state.rows.values(), now, this.capacity);
    while (this.pool.length < shown.length) this.pool.push(rowView());
    for (let i = 0; i < shown.length; i++) {
      const v = this.pool[i]!;
      if (v.root.parentNode !== this.list || this.list.children[i] !== v.root) this.list.insertBefore(v.root, this.list.children[i] ?? null);
      this.fillRow(v, shown[i]!, now);
    }
    for (let i = shown.length; i < this.pool.length; i++) {
      const v = this.pool[i]!;
      if (v.root.parentNode) v.root.remove();
      v.chatId = null;
    }
    const empty = this.list.querySelector('.empty');
    if (shown.length === 0 && this.state.counts !== null) {
      if (!empty) this.list.append(el('div', 'empty', this.t.noneWaiting));
      else setText(empty, this.t.noneWaiting);
    } else empty?.remove();
    setText(this.more, hidden > 0 ? this.t.more(hidden, hiddenOverdue) : '');
    setClass(this.more, hiddenOverdue > 0 ? 'overdue' : '');
  }

  private fillRow(v: RowView, r: Row, now: number): void {
    const overdue = isOverdueAt(r, now);
    setClass(v.root, overdue ? 'row overdue' : 'row waiting');
    if (v.chatId !== r.chat.chatId) {
      v.chatId = r.chat.chatId;
      v.root.dataset['chatId'] = r.chat.chatId;
    }
    setText(v.name, r.chat.clientName ?? r.chat.title);
    const names = r.chat.responsible.slice(0, 2).map((p) => shortName(p.name));
    const resp = names.length > 0 ? names.join(', ') + (r.chat.responsible.length > 2 ? ' +' : '') : this.t.responsibleNone;
    if (v.respText.data !== resp) v.respText.data = resp;
    if (r.chat.mentionsOnDuty !== (v.badge.parentNode === v.resp)) {
      if (r.chat.mentionsOnDuty) {
        v.badge.textContent = this.t.mention;
        v.resp.append(v.badge);
      } else v.badge.remove();
    }
    setText(v.time, clockDuration(now - r.waitingSince!));
  }

  private drawCounts(): void {
    const c = this.state.counts;
    const key = c ? `${c.overdueChats}|${c.waitingChats}|${c.unreadSupportChats}|${c.mentionedOnDuty}|${c.openTasks}|${this.lang}` : `none|${this.lang}`;
    if (key === this.drawnCountsKey) return;
    this.drawnCountsKey = key;
    const tile = (value: number | undefined, label: string, heat: (v: number) => string) => {
      const d = el('div', `tile ${value === undefined ? 'calm' : heat(value)}`);
      const text = value === undefined ? '—' : String(value);
      // Four digits must still fit the tile: the figure shrinks with its length.
      d.append(el('div', `v num len${Math.min(4, text.length)}`, text), el('div', 'k', label));
      return d;
    };
    const hot = (v: number) => (v > 0 ? 'hot' : 'calm');
    const warm = (v: number) => (v > 0 ? 'warm' : 'calm');
    this.counts.replaceChildren(
      tile(c?.overdueChats, this.t.counts.overdue, hot),
      tile(c?.waitingChats, this.t.counts.waiting, warm),
      tile(c?.unreadSupportChats, this.t.counts.unread, () => 'calm'),
      tile(c?.mentionedOnDuty, this.t.counts.mentions, warm),
      tile(c?.openTasks, this.t.counts.tasks, () => 'calm'),
    );
    const tiles = this.counts.children;
    tiles[0]?.setAttribute('data-count', 'overdue');
    tiles[1]?.setAttribute('data-count', 'waiting');
    tiles[2]?.setAttribute('data-count', 'unread');
    tiles[3]?.setAttribute('data-count', 'mentions');
    tiles[4]?.setAttribute('data-count', 'tasks');
  }

  private drawDuty(now: number): void {
    const members = [...this.state.members.values()];
    const byActivity = (a: MemberActivity, b: MemberActivity) => activity(b) - activity(a) || a.member.name.localeCompare(b.member.name);
    const onDuty = members.filter((m) => m.onDuty).sort(byActivity);
    const next = members.filter((m) => !m.onDuty && m.nextOnDutyFrom !== null).sort((a, b) => Date.parse(a.nextOnDutyFrom!) - Date.parse(b.nextOnDutyFrom!));
    // Only the first shift to come is "next"; later ones would crowd the panel.
    const firstNext = next[0]?.nextOnDutyFrom ?? null;
    const nextUp = next.filter((m) => m.nextOnDutyFrom === firstNext);
    const minute = Math.floor(now / 60_000);
    const key = `${members.map((m) => `${m.member.id}:${m.onDuty}:${m.lastActivityAt}:${m.nextOnDutyFrom}`).join(',')}|${this.state.dutySchedules}|${minute}|${this.lang}`;
    if (key === this.drawnDutyKey) return;
    this.drawnDutyKey = key;
    const parts: HTMLElement[] = [el('h2', '', this.t.onDuty)];
    const people = el('div', 'people');
    for (const m of onDuty.slice(0, MAX_PEOPLE)) people.append(this.person(m, now));
    if (onDuty.length === 0) people.append(el('div', 'person', this.t.nobodyOnDuty));
    if (onDuty.length > MAX_PEOPLE) people.append(el('div', 'note', `+ ${onDuty.length - MAX_PEOPLE}`));
    parts.push(people);
    if (!this.state.dutySchedules) parts.push(el('div', 'note', this.t.everyoneOnDuty));
    else {
      parts.push(el('div', 'next-title', this.t.next));
      const list = el('div', 'people');
      for (const m of nextUp.slice(0, 3)) {
        const p = el('div', 'person');
        p.append(el('span', 'dot'), el('span', 'n', shortName(m.member.name)), el('span', 'a', this.t.from(timeOfDay(Date.parse(m.nextOnDutyFrom!), this.lang))));
        list.append(p);
      }
      if (nextUp.length === 0) list.append(el('div', 'note', this.t.noNext));
      parts.push(list);
    }
    this.duty.replaceChildren(...parts);
  }

  private person(m: MemberActivity, now: number): HTMLElement {
    const at = m.lastActivityAt === null ? null : Date.parse(m.lastActivityAt);
    const p = el('div', at !== null && now - at < ACTIVE_MS ? 'person active' : 'person');
    p.append(el('span', 'dot'), el('span', 'n', shortName(m.member.name)), el('span', 'a', at === null ? this.t.neverActive : this.t.lastActive(shortDuration(now - at, this.lang))));
    return p;
  }

  private drawStats(): void {
    this.drawnStats = this.statsVersion;
    const failed = this.state.statsFailed;
    this.today.classList.toggle('stale', failed);
    this.today.dataset['state'] = failed ? 'stale' : this.state.statsAsOf === null ? 'loading' : 'fresh';
    const asOf = this.state.statsAsOf;
    setText(this.statsNote, failed ? this.t.statsStale(asOf === null ? null : timeOfDay(asOf, this.lang)) : '');
    const f = this.state.today;
    const dur = (s: number | null | undefined) => (s === null || s === undefined ? '—' : shortDuration(s * 1000, this.lang));
    const cells: HTMLElement[] = [];
    cells.push(el('div', 'h'), el('div', 'h', this.t.median), el('div', 'h', this.t.p90));
    const line = (label: string, d: { medianSeconds: number | null; p90Seconds: number | null } | undefined) => {
      cells.push(el('div', 'l', label), el('div', 'm num', dur(d?.medianSeconds)), el('div', 'm num', dur(d?.p90Seconds)));
    };
    line(this.t.firstResponse, f?.first);
    line(this.t.nextResponse, f?.next);
    this.figs.replaceChildren(...cells);
    const share = el('div', `m num${f && f.shareInTime !== null && f.shareInTime < 0.9 ? ' bad' : ''}`, percent(f?.shareInTime ?? null));
    share.dataset['stat'] = 'shareInTime';
    this.share.replaceChildren(share, el('div', 'l', `${this.t.inTime} · ${this.t.overdueWaits(f?.overdue ?? 0)} · ${this.t.waits(f?.waits ?? 0)}`));
    this.drawChart();
  }

  private drawChart(): void {
    const bars = this.state.hours;
    const W = 480;
    const H = 150;
    const base = H - 1;
    const max = Math.max(1, ...bars.map((b) => b.waits));
    const bw = W / Math.max(24, bars.length);
    const ns = 'http://www.w3.org/2000/svg';
    const svg = document.createElementNS(ns, 'svg');
    svg.setAttribute('viewBox', `0 0 ${W} ${H}`);
    svg.setAttribute('preserveAspectRatio', 'none');
    const rect = (x: number, y: number, w: number, h: number, fill: string) => {
      if (h <= 0) return;
      const r = document.createElementNS(ns, 'rect');
      r.setAttribute('x', x.toFixed(1));
      r.setAttribute('y', y.toFixed(1));
      r.setAttribute('width', w.toFixed(1));
      r.setAttribute('height', h.toFixed(1));
      r.setAttribute('fill', fill);
      svg.append(r);
    };
    bars.forEach((b, i) => {
      const x = i * bw + 1.5;
      const w = bw - 3;
      const scale = (n: number) => (n / max) * (base - 6);
      const ok = scale(b.answeredInTime);
      const late = scale(b.overdue);
      const open = scale(Math.max(0, b.waits - b.answeredInTime - b.overdue));
      rect(x, base - ok, w, ok, '#3ecf8e');
      rect(x, base - ok - late, w, late, '#ff4d4f');
      rect(x, base - ok - late - open, w, open, '#ffb020');
    });
    const baseline = document.createElementNS(ns, 'line');
    baseline.setAttribute('x1', '0');
    baseline.setAttribute('x2', String(W));
    baseline.setAttribute('y1', String(base + 0.5));
    baseline.setAttribute('y2', String(base + 0.5));
    baseline.setAttribute('stroke', '#243140');
    svg.append(baseline);
    const cap = el('div', 'cap');
    cap.append(el('span', 't', this.t.last24h), el('span', 'legend ok', this.t.legendInTime), el('span', 'legend late', this.t.legendOverdue), el('span', 'legend open', this.t.legendOpen));
    // Hour labels are HTML: text inside a stretched SVG would be distorted.
    const axis = el('div', 'axis num');
    bars.forEach((b, i) => {
      if (i % 6 !== 0) return;
      const label = el('span', '', timeOfDay(b.start, this.lang));
      label.style.left = `${((i * bw) / W) * 100}%`;
      axis.append(label);
    });
    this.chart.replaceChildren(cap, svg, axis);
  }
}

function activity(m: MemberActivity): number {
  return m.lastActivityAt === null ? 0 : Date.parse(m.lastActivityAt);
}
