import { describe, expect, it } from 'vitest';
import { DomainError } from '../src/domain/errors.ts';
import {
  createTermCache,
  englishStem,
  findMatchRanges,
  foldText,
  indexTermsOf,
  MAX_QUERY_TOKENS,
  parseSearchQuery,
  russianStem,
  termOf,
} from '../src/domain/search-text.ts';

const marked = (text: string, query: string): string[] | null => findMatchRanges(text, parseSearchQuery(query))?.map(([s, e]) => text.slice(s, e)) ?? null;

describe('folding', () => {
  it('lower-cases and treats ё as е without moving any offset', () => {
    expect(foldText('Ёлки, ЁЖ и DB-Prod-2')).toBe('елки, еж и db-prod-2');
    const odd = 'İstanbul Ёж 😀 ß';
    expect(foldText(odd)).toHaveLength(odd.length);
    expect(foldText(odd).slice(9)).toBe('еж 😀 ß');
  });
});

describe('stemming', () => {
  it('reduces Russian word forms to one stem', () => {
    const forms = ['сервер', 'сервера', 'серверу', 'сервером', 'сервере', 'серверы', 'серверов', 'серверам', 'серверами', 'серверах'];
    expect(new Set(forms.map(russianStem))).toEqual(new Set(['сервер']));
    expect(new Set(['перезагрузка', 'перезагрузки', 'перезагрузку', 'перезагрузкой'].map(russianStem)).size).toBe(1);
    expect(new Set(['ошибка', 'ошибки', 'ошибку', 'ошибкой', 'ошибками'].map(russianStem)).size).toBe(1);
    // Snowball's known limit: a fleeting vowel (ошибок, genitive plural) is a stem of its own.
    expect(russianStem('ошибок')).not.toBe(russianStem('ошибка'));
  });

  it('reduces English word forms to one stem', () => {
    expect(new Set(['restart', 'restarted', 'restarting', 'restarts'].map(englishStem))).toEqual(new Set(['restart']));
    expect(englishStem('connections')).toBe(englishStem('connected'));
    expect(englishStem('deployments')).toBe('deploy');
    expect(englishStem('hoping')).toBe('hope');
    expect(englishStem('skies')).toBe('sky');
  });

  it('leaves numbers and other scripts whole, and folds ё and Latin diacritics', () => {
    expect(termOf('00942')).toBe('00942');
    expect(termOf('x86')).toBe('x86');
    expect(termOf('Ёлки')).toBe(termOf('елки'));
    expect(termOf('Café')).toBe(termOf('cafe'));
    expect(termOf('服务器')).toBe('服务器');
    expect(termOf('a'.repeat(500))).toHaveLength(64);
  });

  it('memoises without changing results', () => {
    const cached = createTermCache(3);
    for (const w of ['серверов', 'restarting', 'Ёлки', 'серверов', 'nginx', 'x', 'restarting']) expect(cached(w)).toBe(termOf(w));
  });

  it('indexes distinct terms of a message', () => {
    expect(indexTermsOf('Сервер 10.0.3.17 перезагружен, сервера ОК').sort()).toEqual(['0', '10', '17', '3', 'ок', 'перезагруж', 'сервер'].sort());
  });
});

describe('query parsing', () => {
  it('splits words from substrings', () => {
    const q = parseSearchQuery('Серверов restarted 10.0.3.17 db-prod-2.example ORA-00942 502 17');
    expect(q.tokens.map((t) => t.kind)).toEqual(['word', 'word', 'substring', 'substring', 'substring', 'substring', 'word']);
    expect(q.words).toEqual(['сервер', 'restart', '17']);
    expect(q.substrings).toEqual(['10.0.3.17', 'db-prod-2.example', 'ora-00942', '502']);
  });

  it('treats query syntax as literal text', () => {
    expect(parseSearchQuery('"сервер"').words).toEqual(['сервер']);
    expect(parseSearchQuery('OR NEAR AND NOT').words).toEqual(['or', 'near', 'and', 'not']);
    expect(parseSearchQuery('col:value').substrings).toEqual(['col:value']);
    expect(parseSearchQuery('a&b|c!d').substrings).toEqual(['a&b|c!d']);
    expect(parseSearchQuery('-minus (paren) *star*').words).toEqual(['minus', 'paren', 'star']);
    expect(parseSearchQuery("'); DROP TABLE messages; --").tokens.map((t) => [t.kind, t.text])).toEqual([
      ['substring', "');"],
      ['word', 'DROP'],
      ['word', 'TABLE'],
      ['word', 'messages'],
    ]);
    expect(parseSearchQuery('*** %%% ___').substrings).toEqual(['***', '%%%', '___']);
    // Nothing searchable is not an error: it finds nothing.
    expect(parseSearchQuery('* - -> ()').tokens).toEqual([]);
  });

  it('rejects an empty, over-long or over-many-token query with BAD_USER_INPUT', () => {
    for (const q of ['', '   ', '\t\n', '\u0000']) {
      expect(() => parseSearchQuery(q)).toThrowError(DomainError);
      try {
        parseSearchQuery(q);
      } catch (e) {
        expect((e as DomainError).code).toBe('BAD_USER_INPUT');
      }
    }
    expect(() => parseSearchQuery('x'.repeat(513))).toThrowError(/longer/);
    expect(() => parseSearchQuery(Array.from({ length: MAX_QUERY_TOKENS + 1 }, (_, i) => `w${i}x`).join(' '))).toThrowError(/more than/);
  });
});

describe('match ranges', () => {
  it('marks every form of a word, case- and ё-insensitively', () => {
    expect(marked('Сервер упал. На серверах и серверу всё плохо', 'серверов')).toEqual(['Сервер', 'серверах', 'серверу']);
    expect(marked('Restarted nginx, restarting php-fpm', 'restart')).toEqual(['Restarted', 'restarting']);
    expect(marked('Ёмкость диска 95%', 'емкость')).toEqual(['Ёмкость']);
    expect(marked('Емкость диска', 'ёмкость')).toEqual(['Емкость']);
  });

  it('marks substrings, including inside longer tokens', () => {
    expect(marked('ping 10.0.3.17 fails', '10.0.3.1')).toEqual(['10.0.3.1']);
    expect(marked('ping 10.0.3.17 fails', '10.0.3.17')).toEqual(['10.0.3.17']);
    expect(marked('Host DB-PROD-2.example.com is down', 'db-prod-2.example')).toEqual(['DB-PROD-2.example']);
    expect(marked('502, 502 and 5021', '502')).toEqual(['502', '502', '502']);
  });

  it('needs every token, and matches short numbers as whole words', () => {
    expect(marked('nginx 502 on web-1', 'nginx 502')).toEqual(['nginx', '502']);
    expect(marked('nginx is fine', 'nginx 502')).toBeNull();
    expect(marked('port 17 and 170', '17')).toEqual(['17']);
    expect(marked('port 170', '17')).toBeNull();
  });

  it('gives UTF-16 offsets that survive emoji and merges overlaps', () => {
    const text = '🔥🔥 сервер 🔥 10.0.3.17';
    const ranges = findMatchRanges(text, parseSearchQuery('сервер 10.0.3 0.3.17'))!;
    expect(ranges.map(([s, e]) => text.slice(s, e))).toEqual(['сервер', '10.0.3.17']);
    expect(ranges[0]).toEqual([5, 11]);
  });
});
