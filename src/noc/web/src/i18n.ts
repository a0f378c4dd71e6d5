/**
 * The wall's words in Russian and English. The language is the setting kept in localStorage
 * (`tgdesk.noc.lang`, changed with the RU/EN switch or `#lang=ru`), else the browser's.
 */
export type Lang = 'ru' | 'en';

const en = {
  title: 'Support wall',
  waitingClients: 'Waiting clients',
  noneWaiting: 'No client is waiting',
  more: (n: number, overdue: number) => (overdue > 0 ? `+ ${n} more waiting, ${overdue} of them overdue` : `+ ${n} more waiting`),
  alarms: 'Alarm',
  moreAlarms: (n: number) => `+ ${n} more alarms`,
  raisedBy: (who: string, ago: string) => `raised by ${who} · ${ago} ago`,
  counts: {
    overdue: 'Overdue',
    waiting: 'Waiting',
    unread: 'Unread chats',
    mentions: '@ on duty',
    tasks: 'Open tasks',
  },
  onDuty: 'On duty',
  next: 'Next',
  nobodyOnDuty: 'Nobody on duty',
  noNext: 'No next shift known',
  everyoneOnDuty: 'no duty schedules: everyone',
  lastActive: (ago: string) => `active ${ago} ago`,
  neverActive: 'no activity',
  from: (time: string) => `from ${time}`,
  today: 'Today',
  firstResponse: 'First response',
  nextResponse: 'Next response',
  median: 'median',
  p90: 'p90',
  inTime: 'Answered in time',
  overdueWaits: (n: number) => `${n} overdue`,
  waits: (n: number) => `${n} waits`,
  last24h: 'Last 24 hours: waits per hour',
  legendInTime: 'in time',
  legendOverdue: 'overdue',
  legendOpen: 'waiting',
  statsStale: (since: string | null) => (since === null ? 'Figures unavailable — retrying' : `Not refreshed — figures as of ${since}`),
  stale: (since: string) => `Connection lost — reconnecting. Data as of ${since}`,
  connecting: 'Connecting…',
  live: 'live',
  signInTitle: 'Sign in the wall',
  signInHelp: 'Paste a viewer token (tgdesk token create --role viewer --name wall). It is kept in this browser.',
  signInButton: 'Sign in',
  tokenRejected: 'The token was refused. Check it or create a new one.',
  responsibleNone: 'nobody assigned',
  mention: '@',
  acknowledged: 'OK',
};

export type Strings = typeof en;

const ru: Strings = {
  title: 'Дежурный экран',
  waitingClients: 'Ждут ответа',
  noneWaiting: 'Никто из клиентов не ждёт',
  more: (n, overdue) => (overdue > 0 ? `+ ещё ${n} ждут, из них ${overdue} просрочено` : `+ ещё ${n} ждут`),
  alarms: 'Тревога',
  moreAlarms: (n) => `+ ещё тревог: ${n}`,
  raisedBy: (who, ago) => `поднял(а) ${who} · ${ago} назад`,
  counts: {
    overdue: 'Просрочено',
    waiting: 'Ждут',
    unread: 'Не прочитано',
    mentions: '@ дежурных',
    tasks: 'Открытые задачи',
  },
  onDuty: 'Дежурят',
  next: 'Следующие',
  nobodyOnDuty: 'Никто не дежурит',
  noNext: 'Следующая смена неизвестна',
  everyoneOnDuty: 'графика нет: дежурят все',
  lastActive: (ago) => `активность ${ago} назад`,
  neverActive: 'нет активности',
  from: (time) => `с ${time}`,
  today: 'Сегодня',
  firstResponse: 'Первый ответ',
  nextResponse: 'Следующий ответ',
  median: 'медиана',
  p90: 'p90',
  inTime: 'Отвечено вовремя',
  overdueWaits: (n) => `просрочено: ${n}`,
  waits: (n) => `обращений: ${n}`,
  last24h: 'Последние 24 часа: обращения по часам',
  legendInTime: 'вовремя',
  legendOverdue: 'просрочено',
  legendOpen: 'ждут',
  statsStale: (since) => (since === null ? 'Данных нет — повторяю запрос' : `Не обновлено — данные на ${since}`),
  stale: (since) => `Нет связи — переподключаюсь. Данные на ${since}`,
  connecting: 'Подключение…',
  live: 'онлайн',
  signInTitle: 'Вход для экрана',
  signInHelp: 'Вставьте токен с ролью viewer (tgdesk token create --role viewer --name wall). Он сохранится в этом браузере.',
  signInButton: 'Войти',
  tokenRejected: 'Токен не принят. Проверьте его или создайте новый.',
  responsibleNone: 'никто не назначен',
  mention: '@',
  acknowledged: 'OK',
};

const STRINGS: Record<Lang, Strings> = { en, ru };
const KEY = 'tgdesk.noc.lang';

export function pickLang(stored: string | null, browser: readonly string[]): Lang {
  if (stored === 'ru' || stored === 'en') return stored;
  for (const l of browser) {
    const base = l.toLowerCase().slice(0, 2);
    if (base === 'ru' || base === 'en') return base;
  }
  return 'en';
}

export function currentLang(): Lang {
  return pickLang(safeGet(KEY), navigator.languages?.length ? navigator.languages : [navigator.language]);
}

export function setLang(lang: Lang): void {
  try {
    localStorage.setItem(KEY, lang);
  } catch {
    // A browser without storage still switches for this session.
  }
}

export function strings(lang: Lang): Strings {
  return STRINGS[lang];
}

function safeGet(key: string): string | null {
  try {
    return localStorage.getItem(key);
  } catch {
    return null;
  }
}
