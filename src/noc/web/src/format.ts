/** Numbers and times as the wall shows them: short enough to read from across the room. */
import type { Lang } from './i18n.ts';

/** A running wait: "4:07", "1:04:07"; from a day on "3d 04:07" (hours and minutes), so it never outgrows its column. */
export function clockDuration(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  if (total >= 86_400) {
    const d = Math.floor(total / 86_400);
    return `${d}d ${String(Math.floor((total % 86_400) / 3600)).padStart(2, '0')}:${String(Math.floor((total % 3600) / 60)).padStart(2, '0')}`;
  }
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const ss = String(s).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/** A response time or an age: "45 s", "12 min", "2 h 05", "3 d". */
export function shortDuration(ms: number, lang: Lang): string {
  const s = Math.max(0, Math.round(ms / 1000));
  const u = lang === 'ru' ? { s: 'с', m: 'мин', h: 'ч', d: 'д' } : { s: 's', m: 'min', h: 'h', d: 'd' };
  if (s < 60) return `${s} ${u.s}`;
  const m = Math.round(s / 60);
  if (m < 60) return `${m} ${u.m}`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h} ${u.h} ${String(m % 60).padStart(2, '0')}`;
  return `${Math.floor(h / 24)} ${u.d}`;
}

export function percent(share: number | null): string {
  return share === null ? '—' : `${Math.round(share * 100)}%`;
}

const timeFormats = new Map<string, Intl.DateTimeFormat>();
export function timeOfDay(t: number, lang: Lang, seconds = false): string {
  const key = `${lang}${seconds}`;
  let f = timeFormats.get(key);
  if (!f) timeFormats.set(key, (f = new Intl.DateTimeFormat(lang === 'ru' ? 'ru-RU' : 'en-GB', { hour: '2-digit', minute: '2-digit', ...(seconds ? { second: '2-digit' } : {}) })));
  return f.format(t);
}

/** "Anna Kuznetsova" → "Anna K." so that two names fit a row. */
export function shortName(name: string): string {
  const parts = name.trim().split(/\s+/);
  if (parts.length < 2) return name.trim();
  return `${parts[0]} ${parts[parts.length - 1]!.charAt(0)}.`;
}
