/** Times, waits and message text as the console shows them. */
import type { Entity } from './gql.ts';

const UNITS = { en: { s: 's', m: 'm', h: 'h', d: 'd' }, ru: { s: 'с', m: 'м', h: 'ч', d: 'д' } };
let units = UNITS.en;

// Formatters are made once, per language: making one costs far more than using it (a chat page
// formats hundreds of dates).
let FULL = new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeStyle: 'medium' });
let WEEKDAY = new Intl.DateTimeFormat('en-GB', { weekday: 'short' });
let DAY = new Intl.DateTimeFormat('en-GB', { weekday: 'long', day: 'numeric', month: 'long', year: 'numeric' });

/** Dates and waits in the console's language (24-hour clock in both). */
export function setFormatLanguage(lang: 'en' | 'ru'): void {
  const locale = lang === 'ru' ? 'ru-RU' : 'en-GB';
  units = UNITS[lang];
  FULL = new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'medium' });
  WEEKDAY = new Intl.DateTimeFormat(locale, { weekday: 'short' });
  DAY = new Intl.DateTimeFormat(locale, { weekday: 'long', day: 'numeric', month: 'long', year: 'numeric' });
}

/** A wait: `45s`, `12m`, `1h 05m`, `2d 3h` (`12м`, `1ч 05м` in Russian). */
export function waitText(ms: number): string {
  const u = units;
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}${u.s}`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}${u.m}`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}${u.h} ${String(m % 60).padStart(2, '0')}${u.m}`;
  return `${Math.floor(h / 24)}${u.d} ${h % 24}${u.h}`;
}

const pad = (n: number) => String(n).padStart(2, '0');

/** `14:05` today, `Mon 14:05` this week, `12.03 14:05` this year, else `12.03.2025`. */
export function shortTime(iso: string, now = Date.now()): string {
  const d = new Date(iso);
  const n = new Date(now);
  const hm = `${pad(d.getHours())}:${pad(d.getMinutes())}`;
  if (d.toDateString() === n.toDateString()) return hm;
  if (now - d.getTime() < 6 * 86_400_000 && d.getTime() <= now) return `${WEEKDAY.format(d)} ${hm}`;
  if (d.getFullYear() === n.getFullYear()) return `${pad(d.getDate())}.${pad(d.getMonth() + 1)} ${hm}`;
  return `${pad(d.getDate())}.${pad(d.getMonth() + 1)}.${d.getFullYear()}`;
}

export function fullTime(iso: string): string {
  return FULL.format(new Date(iso));
}

export function dayLabel(iso: string): string {
  return DAY.format(new Date(iso));
}

/** The local day of an instant, as a number: cheap to compare. */
export function dayKey(iso: string): number {
  const d = new Date(iso);
  return d.getFullYear() * 10_000 + d.getMonth() * 100 + d.getDate();
}

const URL_RE = /\b(?:https?:\/\/|www\.)[^\s<>"'«»]+[^\s<>"'«».,;:!?)\]]/giu;

/** A piece of message text: plain, or a link (never previewed: a link is a link). */
export type TextPiece = { readonly text: string; readonly href?: string; readonly kind?: 'mention' | 'code' | 'bold' | 'italic' };

function safeHref(url: string): string | null {
  const withScheme = /^[a-z][a-z0-9+.-]*:/i.test(url) ? url : `https://${url}`;
  try {
    const u = new URL(withScheme);
    return u.protocol === 'http:' || u.protocol === 'https:' || u.protocol === 'mailto:' || u.protocol === 'tg:' ? u.toString() : null;
  } catch {
    return null;
  }
}

/**
 * Splits text into pieces by its entities (offsets in UTF-16 units, as JavaScript strings count)
 * and, where the entities give no links, by URLs found in the text.
 */
export function textPieces(text: string, entities: readonly Entity[]): TextPiece[] {
  const spans: { start: number; end: number; piece: Omit<TextPiece, 'text'> }[] = [];
  for (const e of entities) {
    const start = e.offset;
    const end = e.offset + e.length;
    if (start < 0 || end > text.length || end <= start) continue;
    const slice = text.slice(start, end);
    if (e.type === 'url') {
      const href = safeHref(slice);
      if (href) spans.push({ start, end, piece: { href } });
    } else if (e.type === 'textUrl' && e.url) {
      const href = safeHref(e.url);
      if (href) spans.push({ start, end, piece: { href } });
    } else if (e.type === 'email') spans.push({ start, end, piece: { href: `mailto:${slice}` } });
    else if (e.type === 'mention' || e.type === 'mentionName') spans.push({ start, end, piece: { kind: 'mention' } });
    else if (e.type === 'code' || e.type === 'pre') spans.push({ start, end, piece: { kind: 'code' } });
    else if (e.type === 'bold') spans.push({ start, end, piece: { kind: 'bold' } });
    else if (e.type === 'italic') spans.push({ start, end, piece: { kind: 'italic' } });
  }
  if (!entities.some((e) => e.type === 'url' || e.type === 'textUrl')) {
    for (const m of text.matchAll(URL_RE)) {
      const href = safeHref(m[0]);
      if (href && m.index !== undefined) spans.push({ start: m.index, end: m.index + m[0].length, piece: { href } });
    }
  }
  spans.sort((a, b) => a.start - b.start || b.end - a.end);
  const out: TextPiece[] = [];
  let at = 0;
  for (const s of spans) {
    if (s.start < at) continue; // overlapping (formatting inside a link): the first wins
    if (s.start > at) out.push({ text: text.slice(at, s.start) });
    out.push({ text: text.slice(s.start, s.end), ...s.piece });
    at = s.end;
  }
  if (at < text.length) out.push({ text: text.slice(at) });
  return out;
}

/** A stable colour index for a sender's name (6 readable hues). */
export function senderHue(id: string): number {
  let h = 0;
  for (let i = 0; i < id.length; i++) h = (h * 31 + id.charCodeAt(i)) | 0;
  return Math.abs(h) % 6;
}

/** The first line of text, for a task title: at most `max` characters, cut at a word. */
export function titleFrom(text: string, max = 120): string {
  const line = text.split('\n').map((l) => l.trim()).find((l) => l.length > 0) ?? '';
  if (line.length <= max) return line;
  const cut = line.slice(0, max - 1);
  const space = cut.lastIndexOf(' ');
  return `${space > max / 2 ? cut.slice(0, space) : cut}…`;
}
