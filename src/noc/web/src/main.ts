/**
 * The NOC wall: signs in with a viewer token (from `#token=…` once, then localStorage), keeps one
 * graphql-ws connection, and draws the support board it streams. Waits tick locally against the
 * daemon's clock; a second timer refreshes the day's statistics.
 */
import { Connection, graphqlUrl, type ConnectionStatus } from './connection.ts';
import { currentLang, setLang, strings, type Lang } from './i18n.ts';
import { BOARD_SUBSCRIPTION, STATS_QUERY, type StatsData } from './queries.ts';
import { WallState, type BoardChange } from './state.ts';
import { WallView } from './view.ts';

const TOKEN_KEY = 'tgdesk.noc.token';
const STATS_EVERY_MS = 60_000;
/** After a failed refresh the panel says it is stale; the next try comes sooner than the minute. */
const STATS_RETRY_MS = 15_000;

function readHash(): { token: string | null; lang: Lang | null } {
  const params = new URLSearchParams(location.hash.replace(/^#/, ''));
  const lang = params.get('lang');
  return { token: params.get('token'), lang: lang === 'ru' || lang === 'en' ? lang : null };
}

function storedToken(): string | null {
  try {
    return localStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
}

function storeToken(token: string | null): void {
  try {
    if (token === null) localStorage.removeItem(TOKEN_KEY);
    else localStorage.setItem(TOKEN_KEY, token);
  } catch {
    // Without storage the wall still runs until the page is closed.
  }
}

const hash = readHash();
if (hash.lang) setLang(hash.lang);
if (hash.token) storeToken(hash.token.trim());
// The token must not stay readable in the address bar of a wall everybody looks at.
if (location.hash) history.replaceState(null, '', location.pathname + location.search);

let lang = currentLang();
const state = new WallState();
const view = new WallView(state, strings(lang), lang);
view.setLanguage(lang, strings(lang));

let connection: Connection | null = null;
let status: ConnectionStatus = 'connecting';
/** Stale from a disconnect until the next full board arrives. */
let stale = true;
let frame = 0;

function scheduleDraw(): void {
  if (frame !== 0) return;
  frame = requestAnimationFrame(() => {
    frame = 0;
    view.draw();
  });
}

function setStatus(next: ConnectionStatus): void {
  status = next;
  if (next !== 'live') stale = true;
  view.status(status, stale);
  if (next === 'rejected') {
    storeToken(null);
    connection?.dispose();
    connection = null;
    showSignIn(true);
  }
  scheduleDraw();
}

async function refreshStats(): Promise<void> {
  if (!connection) return;
  const now = state.now();
  const hourStart = new Date(now);
  hourStart.setMinutes(0, 0, 0);
  const todayStart = new Date(now);
  todayStart.setHours(0, 0, 0, 0);
  const to = hourStart.getTime() + 3_600_000;
  try {
    const data = await connection.query<StatsData>(STATS_QUERY, {
      todayFrom: todayStart.toISOString(),
      dayFrom: new Date(to - 24 * 3_600_000).toISOString(),
      to: new Date(to).toISOString(),
      timeZone: Intl.DateTimeFormat().resolvedOptions().timeZone,
    });
    state.today = data.today.total;
    state.hours = data.hours.groups.map((g) => ({ start: g.window ? Date.parse(g.window.start) : 0, ...g.figures }));
    state.statsAsOf = state.now();
    state.statsFailed = false;
  } catch (error) {
    // The old figures stay on screen, marked stale with their time, so nobody reads yesterday's
    // share as today's; a wall has no one watching its console, but a technician might.
    state.statsFailed = true;
    console.warn('the day\'s statistics could not be refreshed', error);
    if (statsRetry === 0) {
      statsRetry = window.setTimeout(() => {
        statsRetry = 0;
        void refreshStats();
      }, STATS_RETRY_MS);
    }
  }
  view.statsChanged();
  scheduleDraw();
}
let statsRetry = 0;

function start(token: string): void {
  connection?.dispose();
  const c = new Connection(graphqlUrl(location), token, { status: setStatus });
  connection = c;
  c.subscribe<{ supportBoardChanged: BoardChange }>(
    BOARD_SUBSCRIPTION,
    {},
    (data) => {
      const change = data.supportBoardChanged;
      state.apply(change, Date.now());
      if (change.reset) {
        stale = false;
        view.status(status, stale);
        // A reconnect may follow a long outage: the day's figures are stale too.
        void refreshStats();
      }
      scheduleDraw();
    },
    () => {
      // Errors arrive with the close that caused them; the status listener shows it.
    },
  );
}

// ---- sign-in ------------------------------------------------------------------------------

const signin = document.querySelector<HTMLDivElement>('#signin')!;
const form = signin.querySelector('form')!;
const input = form.querySelector('input')!;
const error = form.querySelector<HTMLParagraphElement>('.error')!;

function showSignIn(rejected: boolean): void {
  error.textContent = rejected ? strings(lang).tokenRejected : '';
  signin.classList.add('open');
  input.focus();
}

form.addEventListener('submit', (e) => {
  e.preventDefault();
  const token = input.value.trim();
  if (!token) return;
  storeToken(token);
  input.value = '';
  signin.classList.remove('open');
  start(token);
});

for (const b of document.querySelectorAll<HTMLButtonElement>('#lang button')) {
  b.addEventListener('click', () => {
    lang = b.dataset['lang'] === 'ru' ? 'ru' : 'en';
    setLang(lang);
    view.setLanguage(lang, strings(lang));
    view.status(status, stale);
    view.statsChanged();
    scheduleDraw();
  });
}

window.addEventListener('resize', () => {
  view.measure();
  scheduleDraw();
});

// Waits tick every second, on the second.
function tick(): void {
  scheduleDraw();
  setTimeout(tick, 1000 - (state.now() % 1000) + 5);
}
tick();
setInterval(() => void refreshStats(), STATS_EVERY_MS);

const token = storedToken();
if (token) start(token);
else showSignIn(false);
view.status(status, stale);
