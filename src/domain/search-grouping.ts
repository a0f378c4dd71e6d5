/**
 * Search results grouped by chat (DESIGN.md §1 row 8): one group per chat, groups ordered by
 * their newest hit (newest group first), hits inside a group oldest first. And the highlighted
 * snippet each hit shows.
 */
import type { ChatKey } from './ids.ts';
import type { UnixMs } from './time.ts';

export interface SearchHitLike {
  readonly chatKey: ChatKey;
  readonly messageId: string;
  readonly at: UnixMs;
}

export interface SearchGroup<H extends SearchHitLike> {
  readonly chatKey: ChatKey;
  readonly newestAt: UnixMs;
  readonly hits: readonly H[];
}

/**
 * Ties are settled so the result never depends on the engine's ranking order: hits of the same
 * instant by message id (numeric-aware), groups with the same newest hit by chat key.
 */
export function groupSearchHits<H extends SearchHitLike>(hits: readonly H[]): SearchGroup<H>[] {
  const byChat = new Map<ChatKey, H[]>();
  for (const h of hits) {
    const list = byChat.get(h.chatKey);
    if (list === undefined) byChat.set(h.chatKey, [h]);
    else list.push(h);
  }
  const groups: SearchGroup<H>[] = [];
  for (const [chatKey, list] of byChat) {
    list.sort((a, b) => a.at - b.at || compareIds(a.messageId, b.messageId));
    groups.push({ chatKey, newestAt: list[list.length - 1]!.at, hits: list });
  }
  groups.sort((a, b) => b.newestAt - a.newestAt || (a.chatKey < b.chatKey ? -1 : a.chatKey > b.chatKey ? 1 : 0));
  return groups;
}

const ID_COLLATOR = new Intl.Collator('en', { numeric: true });

function compareIds(a: string, b: string): number {
  return a === b ? 0 : ID_COLLATOR.compare(a, b) || (a < b ? -1 : 1);
}

/** A match in the text: UTF-16 offsets, `end` exclusive. */
export interface MatchRange {
  readonly start: number;
  readonly end: number;
}

export interface SnippetSegment {
  readonly text: string;
  readonly isMatch: boolean;
}

/**
 * A snippet as structured segments rather than marked-up text, so no character of the message
 * (a "«" or a "<b>") can be mistaken for a marker. `renderSnippet` makes marked text of it.
 */
export interface Snippet {
  readonly segments: readonly SnippetSegment[];
  /** Text was cut before the first segment / after the last one. */
  readonly truncatedStart: boolean;
  readonly truncatedEnd: boolean;
}

const isHigh = (c: number): boolean => c >= 0xd800 && c <= 0xdbff;
const isLow = (c: number): boolean => c >= 0xdc00 && c <= 0xdfff;

/** Moves an offset off the middle of a surrogate pair, backwards or forwards. */
function onCodePoint(text: string, i: number, forward: boolean): number {
  if (i > 0 && i < text.length && isLow(text.charCodeAt(i)) && isHigh(text.charCodeAt(i - 1))) return forward ? i + 1 : i - 1;
  return i;
}

/** Ranges made safe: integers inside the text, on code points, sorted, overlaps merged. */
function cleanRanges(text: string, ranges: unknown): MatchRange[] {
  if (!Array.isArray(ranges)) return [];
  const out: { start: number; end: number }[] = [];
  for (const r of ranges as unknown[]) {
    if (r === null || typeof r !== 'object') continue;
    const { start, end } = r as { start?: unknown; end?: unknown };
    if (typeof start !== 'number' || typeof end !== 'number' || Number.isNaN(start) || Number.isNaN(end)) continue;
    const s = onCodePoint(text, Math.max(0, Math.min(text.length, Math.floor(start))), false);
    const e = onCodePoint(text, Math.max(0, Math.min(text.length, Math.ceil(end))), true);
    if (e > s) out.push({ start: s, end: e });
  }
  out.sort((a, b) => a.start - b.start);
  const merged: { start: number; end: number }[] = [];
  for (const r of out) {
    const last = merged[merged.length - 1];
    if (last !== undefined && r.start <= last.end) last.end = Math.max(last.end, r.end);
    else merged.push(r);
  }
  return merged;
}

/** How far to move a window edge to land on a word boundary instead of mid-word. */
const WORD_SNAP = 15;

/**
 * A one-line snippet of at most `maxLength` UTF-16 units around the first match, with the
 * matches inside it marked. About a third of the room left by the match goes before it, the
 * window edges move to word boundaries when one is near, and line breaks and other control
 * characters show as spaces. Never throws: odd ranges (out of bounds, reversed, overlapping,
 * splitting an emoji) are cleaned, a non-string text is empty, a non-positive length gives no
 * segments.
 */
export function highlightSnippet(text: string, matchRanges: readonly MatchRange[], maxLength: number): Snippet {
  const raw = typeof text === 'string' ? text : '';
  // One-for-one replacement keeps the match offsets valid.
  const line = raw.replace(/[\u0000-\u001f\u007f\u2028\u2029]/g, ' ');
  const max = Number.isFinite(maxLength) ? Math.floor(maxLength) : line.length;
  if (max <= 0 || line.length === 0) return { segments: [], truncatedStart: false, truncatedEnd: line.length > 0 };
  const ranges = cleanRanges(line, matchRanges);

  let start = 0;
  let end = line.length;
  if (line.length > max) {
    const first = ranges[0];
    if (first === undefined) end = max;
    else {
      const matchLength = first.end - first.start;
      if (matchLength >= max) {
        start = first.start;
        end = first.start + max;
      } else {
        start = Math.max(0, first.start - Math.floor((max - matchLength) / 3));
        end = Math.min(line.length, start + max);
        start = Math.max(0, end - max);
        if (start > 0) {
          const space = line.indexOf(' ', start);
          if (space !== -1 && space < first.start && space - start <= WORD_SNAP) start = space + 1;
        }
        if (end < line.length) {
          const space = line.lastIndexOf(' ', end);
          if (space >= first.end && end - space <= WORD_SNAP) end = space;
        }
      }
    }
    start = onCodePoint(line, start, true);
    end = onCodePoint(line, end, false);
  }

  const segments: SnippetSegment[] = [];
  const push = (s: number, e: number, isMatch: boolean): void => {
    if (e > s) segments.push({ text: line.slice(s, e), isMatch });
  };
  let at = start;
  for (const r of ranges) {
    if (r.end <= start) continue;
    if (r.start >= end) break;
    const s = Math.max(r.start, start);
    const e = Math.min(r.end, end);
    push(at, s, false);
    push(s, e, true);
    at = e;
  }
  push(at, end, false);
  return { segments, truncatedStart: start > 0, truncatedEnd: end < line.length };
}

export interface SnippetMarks {
  readonly open: string;
  readonly close: string;
  readonly ellipsis: string;
}

export const GUILLEMET_MARKS: SnippetMarks = { open: '«', close: '»', ellipsis: '…' };

/** Snippet as text with the matches between marks, e.g. "…the «502» again…". */
export function renderSnippet(snippet: Snippet, marks: SnippetMarks = GUILLEMET_MARKS): string {
  let out = snippet.truncatedStart ? marks.ellipsis : '';
  for (const s of snippet.segments) out += s.isMatch ? marks.open + s.text + marks.close : s.text;
  return snippet.truncatedEnd ? out + marks.ellipsis : out;
}
