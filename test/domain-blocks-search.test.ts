import { describe, expect, it } from 'vitest';
import { groupIntoBlocks, type BlockableMessage } from '../src/domain/blocks.ts';
import { groupSearchHits, highlightSnippet, renderSnippet, type MatchRange } from '../src/domain/search-grouping.ts';
import { MINUTE } from '../src/domain/time.ts';

const T0 = Date.parse('2025-06-02T10:00:00Z');

interface Msg extends BlockableMessage {
  readonly id: string;
}
const m = (id: string, senderId: number, minute: number, extra: { isService?: boolean; kind?: 'user' | 'chat' } = {}): Msg => ({
  id,
  sender: { kind: extra.kind ?? 'user', id: senderId },
  at: T0 + minute * MINUTE,
  isService: extra.isService ?? false,
});
const shape = (blocks: ReturnType<typeof groupIntoBlocks<Msg>>): string[][] => blocks.map((b) => b.messages.map((x) => x.id));

describe('sender blocks', () => {
  it('groups consecutive messages of one sender', () => {
    const blocks = groupIntoBlocks([m('1', 1, 0), m('2', 1, 1), m('3', 2, 2), m('4', 1, 3), m('5', 1, 4)]);
    expect(shape(blocks)).toEqual([['1', '2'], ['3'], ['4', '5']]);
    expect(blocks[0]).toMatchObject({ sender: { kind: 'user', id: 1 }, firstAt: T0, lastAt: T0 + MINUTE, isService: false });
  });

  it('starts a new block after a gap longer than the limit, not at exactly the limit', () => {
    expect(shape(groupIntoBlocks([m('1', 1, 0), m('2', 1, 10), m('3', 1, 20.5)]))).toEqual([['1', '2'], ['3']]);
    expect(shape(groupIntoBlocks([m('1', 1, 0), m('2', 1, 3)], { maxGapMs: 2 * MINUTE }))).toEqual([['1'], ['2']]);
  });

  it('keeps a user and a chat with the same id apart', () => {
    expect(shape(groupIntoBlocks([m('1', 5, 0), m('2', 5, 1, { kind: 'chat' })]))).toEqual([['1'], ['2']]);
  });

  it('puts every service message in a block of its own', () => {
    const blocks = groupIntoBlocks([m('1', 1, 0), m('j1', 1, 1, { isService: true }), m('j2', 1, 1, { isService: true }), m('2', 1, 2)]);
    expect(shape(blocks)).toEqual([['1'], ['j1'], ['j2'], ['2']]);
    expect(blocks.map((b) => b.isService)).toEqual([false, true, true, false]);
  });

  it('returns nothing for no messages', () => {
    expect(groupIntoBlocks([])).toEqual([]);
  });
});

describe('search grouping', () => {
  const hit = (chatKey: string, messageId: string, minute: number) => ({ chatKey, messageId, at: T0 + minute * MINUTE, text: '' });

  it('orders groups by their newest hit, newest first, and hits oldest first inside a group', () => {
    const groups = groupSearchHits([hit('a', 'm5', 5), hit('b', 'm1', 1), hit('a', 'm2', 2), hit('c', 'm9', 9), hit('b', 'm7', 7), hit('a', 'm3', 3)]);
    expect(groups.map((g) => g.chatKey)).toEqual(['c', 'b', 'a']);
    expect(groups.map((g) => g.hits.map((h) => h.messageId))).toEqual([['m9'], ['m1', 'm7'], ['m2', 'm3', 'm5']]);
    expect(groups.map((g) => g.newestAt)).toEqual([T0 + 9 * MINUTE, T0 + 7 * MINUTE, T0 + 5 * MINUTE]);
  });

  it('settles ties by message id (numeric-aware) and chat key, whatever the input order', () => {
    const hits = [hit('b', 'm10', 1), hit('a', 'm9', 1), hit('b', 'm9', 1)];
    const expected = [
      { chatKey: 'a', ids: ['m9'] },
      { chatKey: 'b', ids: ['m9', 'm10'] },
    ];
    for (const order of [hits, [...hits].reverse()]) {
      expect(groupSearchHits(order).map((g) => ({ chatKey: g.chatKey, ids: g.hits.map((h) => h.messageId) }))).toEqual(expected);
    }
  });

  it('returns no groups for no hits', () => {
    expect(groupSearchHits([])).toEqual([]);
  });
});

describe('highlightSnippet', () => {
  const render = (text: string, ranges: MatchRange[], max: number): string => renderSnippet(highlightSnippet(text, ranges, max));

  it('marks the matches in a short text', () => {
    expect(render('error 502 on db-prod-2', [{ start: 6, end: 9 }, { start: 13, end: 22 }], 100)).toBe('error «502» on «db-prod-2»');
  });

  it('returns structured segments', () => {
    expect(highlightSnippet('a 502 b', [{ start: 2, end: 5 }], 50)).toEqual({
      segments: [
        { text: 'a ', isMatch: false },
        { text: '502', isMatch: true },
        { text: ' b', isMatch: false },
      ],
      truncatedStart: false,
      truncatedEnd: false,
    });
  });

  it('cuts a long text around the first match, on word boundaries, within the length', () => {
    const text = `${'lorem ipsum dolor '.repeat(10)}ORA-00942 table missing ${'sit amet '.repeat(10)}`;
    const start = text.indexOf('ORA-00942');
    const snippet = highlightSnippet(text, [{ start, end: start + 9 }], 60);
    const body = snippet.segments.map((s) => s.text).join('');
    expect(body.length).toBeLessThanOrEqual(60);
    expect(snippet.truncatedStart && snippet.truncatedEnd).toBe(true);
    expect(snippet.segments.filter((s) => s.isMatch).map((s) => s.text)).toEqual(['ORA-00942']);
    expect(body.startsWith(' ') || body.endsWith(' ')).toBe(false);
    expect(body.indexOf('ORA')).toBeGreaterThan(5);
    expect(render(text, [{ start, end: start + 9 }], 60)).toMatch(/^….*«ORA-00942».*…$/);
  });

  it('shows the beginning when there is no match', () => {
    expect(render('abcdefghij', [], 4)).toBe('abcd…');
  });

  it('makes line breaks spaces without moving the matches', () => {
    expect(render('one\ntwo\r\nthree', [{ start: 4, end: 7 }], 100)).toBe('one «two»  three');
  });

  it('never splits an emoji, in ranges or at the window edge', () => {
    const text = '😀😀 hi 😀';
    const snippet = highlightSnippet(text, [{ start: 1, end: 3 }], 100);
    expect(snippet.segments[0]).toEqual({ text: '😀😀', isMatch: true });
    const edge = highlightSnippet('😀😀😀😀', [], 3);
    expect(edge.segments.map((s) => s.text).join('')).toBe('😀');
  });

  it('survives odd input', () => {
    const odd: unknown[] = [
      [{ start: -5, end: 2 }, { start: 1, end: 999 }],
      [{ start: 5, end: 2 }],
      [{ start: Number.NaN, end: 3 }, null, 'x', { start: 1 }],
      null,
    ];
    for (const ranges of odd) {
      const snippet = highlightSnippet('hello world', ranges as MatchRange[], 8);
      expect(snippet.segments.map((s) => s.text).join('').length).toBeLessThanOrEqual(8);
    }
    expect(highlightSnippet('hello', [{ start: 0, end: 2 }], 0)).toEqual({ segments: [], truncatedStart: false, truncatedEnd: true });
    expect(highlightSnippet('', [{ start: 0, end: 2 }], 10).segments).toEqual([]);
    expect(highlightSnippet(undefined as unknown as string, [], 10).segments).toEqual([]);
    expect(render('hello', [{ start: 0, end: 3 }, { start: 2, end: 5 }], Number.POSITIVE_INFINITY)).toBe('«hello»');
  });

  it('keeps a match longer than the room at its start', () => {
    const text = `${'x '.repeat(40)}${'A'.repeat(30)} tail`;
    const start = text.indexOf('A');
    expect(render(text, [{ start, end: start + 30 }], 10)).toBe(`…«${'A'.repeat(10)}»…`);
  });

  it('does not treat marker characters in the text as marks', () => {
    const snippet = highlightSnippet('«quoted» 502', [{ start: 9, end: 12 }], 100);
    expect(snippet.segments).toEqual([
      { text: '«quoted» ', isMatch: false },
      { text: '502', isMatch: true },
    ]);
  });
});
