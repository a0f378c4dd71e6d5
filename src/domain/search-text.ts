/**
 * Message search as sysadmins search: the text side, shared by the indexer, both stores and the
 * highlighter, so that SQLite and PostgreSQL agree on what matches.
 *
 * Semantics of a query (documented for API users in the search resolver):
 * - The query is split on whitespace into tokens. Every token must match (AND); order does not
 *   matter. Nothing is query syntax: quotes, `*`, `-`, `:`, `OR`, `NEAR`, parentheses and
 *   `&|!` are literal characters or plain words.
 * - Characters that are neither letters nor digits are trimmed from both ends of a token
 *   (`"сервер",` → `сервер`, `(ORA-00942)` → `ORA-00942`), because people paste punctuation.
 * - A token made of letters only is a **word**: it matches any form of that word. Russian and
 *   English words are reduced to their Snowball stems (сервер = сервера = серверов; restart =
 *   restarted = restarting); other scripts match the whole word.
 * - A token of three or more characters that holds a digit or punctuation is a **substring**:
 *   it matches anywhere in the text, as grep would. `10.0.3.1` therefore matches `10.0.3.17`,
 *   `502` matches `5021`, `db-prod-2.example` matches `db-prod-2.example.com`.
 * - A substring token shorter than three characters (`17`, `a1`) cannot use a trigram index and
 *   would match nearly everything, so it matches a whole word instead (`17` finds "port 17", not
 *   "170"). Tokens with no letter or digit shorter than three characters (`-`, `*`, `->`) are
 *   ignored; a query of nothing but those finds nothing.
 * - Everything is case-insensitive, and ё is е (also inside substrings). Latin diacritics are
 *   ignored in words (café = cafe).
 *
 * Folding keeps every UTF-16 offset, so match ranges found on folded text are ranges of the
 * original text.
 */
import { badInput } from './errors.ts';

/** Longest query accepted, in UTF-16 units: a paragraph, not a document. */
export const MAX_QUERY_LENGTH = 512;
/** Most tokens in one query: each costs an index lookup. */
export const MAX_QUERY_TOKENS = 16;
/** Substrings shorter than this match whole words (trigram indexes need three characters). */
export const MIN_SUBSTRING_LENGTH = 3;
/** Index terms are cut to this many characters so a pasted blob cannot make a huge index key. */
export const MAX_TERM_LENGTH = 64;

// ---------------------------------------------------------------------------------------------
// Folding and words

/**
 * Lower case with ё → е, one UTF-16 unit out for each unit in, so offsets into the folded text
 * are offsets into the original. A character whose lower case would change length stays as is.
 */
export function foldText(text: string): string {
  let lower = text.toLowerCase();
  // No lower-case mapping shrinks a string, so equal lengths mean every unit stayed in place.
  if (lower.length !== text.length) {
    lower = '';
    for (const ch of text) {
      const l = ch.toLowerCase();
      lower += l.length === ch.length ? l : ch;
    }
  }
  return lower.includes('ё') ? lower.replaceAll('ё', 'е') : lower;
}

const WORD = /[\p{L}\p{M}\p{N}]+/gu;
const HAS_DIGIT = /\p{N}/u;
const LATIN_ONLY = /^[a-z]+$/;
const CYRILLIC_ONLY = /^[а-яё]+$/;
const LATIN_WITH_DIACRITICS = /[\u00c0-\u024f]/;

export interface WordSpan {
  readonly start: number;
  /** Exclusive. */
  readonly end: number;
  readonly word: string;
}

/** Words (runs of letters, marks and digits) with their UTF-16 offsets. */
export function wordsOf(text: string): WordSpan[] {
  const out: WordSpan[] = [];
  WORD.lastIndex = 0;
  for (let m = WORD.exec(text); m !== null; m = WORD.exec(text)) out.push({ start: m.index, end: m.index + m[0].length, word: m[0] });
  return out;
}

/**
 * The index term of one word: folded, Latin diacritics removed, stemmed when it is a Russian or
 * English word, left whole when it holds a digit or another script, and cut to MAX_TERM_LENGTH.
 */
export function termOf(word: string): string {
  let w = foldText(word);
  if (LATIN_WITH_DIACRITICS.test(w)) w = w.normalize('NFD').replace(/([a-z])[\u0300-\u036f]+/g, '$1').normalize('NFC');
  if (!HAS_DIGIT.test(w)) {
    if (LATIN_ONLY.test(w)) w = englishStem(w);
    else if (CYRILLIC_ONLY.test(w)) w = russianStem(w);
  }
  return w.length > MAX_TERM_LENGTH ? w.slice(0, MAX_TERM_LENGTH) : w;
}

export type TermFn = (word: string) => string;

/**
 * `termOf` with a bounded memo: chat vocabulary is small and repetitive, so the indexer stems
 * each distinct word once. The memo is dropped whole when full (cheaper than LRU bookkeeping).
 */
export function createTermCache(maxEntries = 100_000): TermFn {
  let memo = new Map<string, string>();
  return (word) => {
    let t = memo.get(word);
    if (t === undefined) {
      t = termOf(word);
      if (memo.size >= maxEntries) memo = new Map();
      memo.set(word, t);
    }
    return t;
  };
}

/** The distinct index terms of a message text. */
export function indexTermsOf(text: string, term: TermFn = termOf): string[] {
  const out = new Set<string>();
  WORD.lastIndex = 0;
  for (let m = WORD.exec(text); m !== null; m = WORD.exec(text)) out.add(term(m[0]));
  return [...out];
}

// ---------------------------------------------------------------------------------------------
// Queries

export type QueryToken =
  /** Matches a word whose index term equals `term`. */
  | { readonly kind: 'word'; readonly text: string; readonly term: string }
  /** Matches `folded` anywhere in the folded text. */
  | { readonly kind: 'substring'; readonly text: string; readonly folded: string };

export interface SearchQueryText {
  readonly tokens: readonly QueryToken[];
  readonly words: readonly string[];
  readonly substrings: readonly string[];
}

const EDGE_PUNCT = /^[^\p{L}\p{M}\p{N}]+|[^\p{L}\p{M}\p{N}]+$/gu;
const ONE_WORD = /^[\p{L}\p{M}\p{N}]+$/u;

/**
 * Splits what a user typed into tokens (see the module comment). Throws BAD_USER_INPUT for an
 * empty, over-long or over-many-token query; never for the characters in it.
 */
export function parseSearchQuery(raw: string): SearchQueryText {
  if (typeof raw !== 'string' || raw.replace(/[\s\p{Cc}]+/gu, '') === '') throw badInput('search query is empty');
  if (raw.length > MAX_QUERY_LENGTH) throw badInput(`search query is longer than ${MAX_QUERY_LENGTH} characters`, { maxLength: MAX_QUERY_LENGTH });
  // Control characters separate tokens: no one types them, and PostgreSQL rejects NUL in text.
  const pieces = raw.split(/[\s\p{Cc}]+/u).filter((p) => p !== '');
  if (pieces.length > MAX_QUERY_TOKENS) throw badInput(`search query has more than ${MAX_QUERY_TOKENS} words`, { maxTokens: MAX_QUERY_TOKENS });

  const tokens: QueryToken[] = [];
  const seen = new Set<string>();
  for (const piece of pieces) {
    const trimmed = piece.replace(EDGE_PUNCT, '');
    let token: QueryToken | null = null;
    if (trimmed === '') {
      // Pure punctuation: only long enough runs are searchable, literally.
      if (piece.length >= MIN_SUBSTRING_LENGTH) token = { kind: 'substring', text: piece, folded: foldText(piece) };
    } else if (ONE_WORD.test(trimmed) && (!HAS_DIGIT.test(trimmed) || trimmed.length < MIN_SUBSTRING_LENGTH)) {
      token = { kind: 'word', text: trimmed, term: termOf(trimmed) };
    } else if (trimmed.length >= MIN_SUBSTRING_LENGTH) {
      token = { kind: 'substring', text: trimmed, folded: foldText(trimmed) };
    } else {
      // Two characters with punctuation inside cannot happen after trimming; keep the words.
      for (const w of wordsOf(trimmed)) tokens.push({ kind: 'word', text: w.word, term: termOf(w.word) });
    }
    if (token) tokens.push(token);
  }
  const unique = tokens.filter((t) => {
    const key = t.kind === 'word' ? `w${t.term}` : `s${t.folded}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  return {
    tokens: unique,
    words: unique.flatMap((t) => (t.kind === 'word' ? [t.term] : [])),
    substrings: unique.flatMap((t) => (t.kind === 'substring' ? [t.folded] : [])),
  };
}

/** Most ranges returned for one message: enough to highlight, bounded for a pathological text. */
export const MAX_MATCH_RANGES = 64;

/**
 * Where the query matches `text`, as sorted, merged, half-open UTF-16 ranges `[start, end)`;
 * null when some token does not match (the message is not a hit). This is the final word on a
 * match: index lookups only propose candidates, so an index entry that is stale for a moment
 * never shows a message that does not match.
 */
export function findMatchRanges(text: string, query: SearchQueryText, term: TermFn = termOf): Array<[number, number]> | null {
  if (query.tokens.length === 0) return null;
  const ranges: Array<[number, number]> = [];
  if (query.words.length > 0) {
    const wanted = new Set(query.words);
    const found = new Set<string>();
    for (const w of wordsOf(text)) {
      const t = term(w.word);
      if (wanted.has(t)) {
        found.add(t);
        ranges.push([w.start, w.end]);
      }
    }
    if (found.size < wanted.size) return null;
  }
  if (query.substrings.length > 0) {
    const folded = foldText(text);
    for (const s of query.substrings) {
      let at = folded.indexOf(s);
      if (at < 0) return null;
      for (let n = 0; at >= 0 && n < MAX_MATCH_RANGES; n++, at = folded.indexOf(s, at + s.length)) ranges.push([at, at + s.length]);
    }
  }
  ranges.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const merged: Array<[number, number]> = [];
  for (const r of ranges) {
    const last = merged[merged.length - 1];
    if (last && r[0] <= last[1]) last[1] = Math.max(last[1], r[1]);
    else merged.push([r[0], r[1]]);
  }
  return merged.slice(0, MAX_MATCH_RANGES);
}

// ---------------------------------------------------------------------------------------------
// Stemmers: the Snowball Russian and English (Porter2) algorithms, https://snowballstem.org/.
// They take a folded word of one script and return its stem. Kept exactly as published (and
// tested against PostgreSQL's russian_stem and english_stem), because stems are stored in the
// index: any change to them needs a full re-index.

type Among = ReadonlyArray<readonly [suffix: string, group: number]>;

/** The longest suffix of `w` from `list` that starts at or after `limit`, as Snowball's `among`. */
function among(w: string, list: Among, limit: number): readonly [string, number] | null {
  for (const entry of list) {
    const s = entry[0];
    if (w.length - s.length >= limit && w.endsWith(s)) return entry;
  }
  return null;
}

function amongList(groups: ReadonlyArray<readonly string[]>): Among {
  const out: Array<readonly [string, number]> = [];
  groups.forEach((g, i) => g.forEach((s) => out.push([s, i])));
  return out.sort((a, b) => b[0].length - a[0].length);
}

const RU_VOWELS = new Set('аеиоуыэюя');
const RU_PERFECTIVE_GERUND = amongList([
  ['в', 'вши', 'вшись'],
  ['ив', 'ивши', 'ившись', 'ыв', 'ывши', 'ывшись'],
]);
const RU_ADJECTIVE = amongList([
  ['ее', 'ие', 'ые', 'ое', 'ими', 'ыми', 'ей', 'ий', 'ый', 'ой', 'ем', 'им', 'ым', 'ом', 'его', 'ого', 'ему', 'ому', 'их', 'ых', 'ую', 'юю', 'ая', 'яя', 'ою', 'ею'],
]);
const RU_PARTICIPLE = amongList([
  ['ем', 'нн', 'вш', 'ющ', 'щ'],
  ['ивш', 'ывш', 'ующ'],
]);
const RU_REFLEXIVE = amongList([['ся', 'сь']]);
const RU_VERB = amongList([
  ['ла', 'на', 'ете', 'йте', 'ли', 'й', 'л', 'ем', 'н', 'ло', 'но', 'ет', 'ют', 'ны', 'ть', 'ешь', 'нно'],
  ['ила', 'ыла', 'ена', 'ейте', 'уйте', 'ите', 'или', 'ыли', 'ей', 'уй', 'ил', 'ыл', 'им', 'ым', 'ен', 'ило', 'ыло', 'ено', 'ят', 'ует', 'уют', 'ит', 'ыт', 'ены', 'ить', 'ыть', 'ишь', 'ую', 'ю'],
]);
const RU_NOUN = amongList([
  ['а', 'ев', 'ов', 'ие', 'ье', 'е', 'иями', 'ями', 'ами', 'еи', 'ии', 'и', 'ией', 'ей', 'ой', 'ий', 'й', 'иям', 'ям', 'ием', 'ем', 'ам', 'ом', 'о', 'у', 'ах', 'иях', 'ях', 'ы', 'ь', 'ию', 'ью', 'ю', 'ия', 'ья', 'я'],
]);
const RU_DERIVATIONAL = amongList([['ост', 'ость']]);
const RU_TIDY = amongList([['ейш', 'ейше'], ['н'], ['ь']]);

/**
 * Deletes a group-0 ending only after а or я (inside RV), a group-1 ending always: the shape of
 * the gerund, participle and verb rules. Returns the new word, or null when the rule fails.
 */
function ruDeleteAfterAYa(w: string, m: readonly [string, number], pV: number): string | null {
  const start = w.length - m[0].length;
  if (m[1] === 0) {
    const before = w[start - 1];
    if (start - 1 < pV || (before !== 'а' && before !== 'я')) return null;
  }
  return w.slice(0, start);
}

/** Snowball Russian stemmer. */
export function russianStem(word: string): string {
  let w = word.replaceAll('ё', 'е');
  const n = w.length;
  let pV = n;
  let p2 = n;
  // RV starts after the first vowel; R2 is R1 of R1 (R1: after the first non-vowel that follows a vowel).
  let c = 0;
  const isV = (i: number) => RU_VOWELS.has(w[i]!);
  regions: {
    while (c < n && !isV(c)) c++;
    if (c >= n) break regions;
    pV = ++c;
    while (c < n && isV(c)) c++;
    if (c >= n) break regions;
    c++;
    while (c < n && !isV(c)) c++;
    if (c >= n) break regions;
    c++;
    while (c < n && isV(c)) c++;
    if (c >= n) break regions;
    p2 = c + 1;
  }

  // Step 1
  let done = false;
  const gerund = among(w, RU_PERFECTIVE_GERUND, pV);
  if (gerund) {
    const next = ruDeleteAfterAYa(w, gerund, pV);
    if (next !== null) {
      w = next;
      done = true;
    }
  }
  if (!done) {
    const reflexive = among(w, RU_REFLEXIVE, pV);
    if (reflexive) w = w.slice(0, w.length - reflexive[0].length);
    const adjective = among(w, RU_ADJECTIVE, pV);
    if (adjective) {
      w = w.slice(0, w.length - adjective[0].length);
      const participle = among(w, RU_PARTICIPLE, pV);
      if (participle) w = ruDeleteAfterAYa(w, participle, pV) ?? w;
    } else {
      const verb = among(w, RU_VERB, pV);
      const afterVerb = verb ? ruDeleteAfterAYa(w, verb, pV) : null;
      if (afterVerb !== null) w = afterVerb;
      else {
        const noun = among(w, RU_NOUN, pV);
        if (noun) w = w.slice(0, w.length - noun[0].length);
      }
    }
  }
  // Step 2
  if (w.endsWith('и') && w.length - 1 >= pV) w = w.slice(0, -1);
  // Step 3
  const derivational = among(w, RU_DERIVATIONAL, pV);
  if (derivational && w.length - derivational[0].length >= p2) w = w.slice(0, w.length - derivational[0].length);
  // Step 4
  const tidy = among(w, RU_TIDY, pV);
  if (tidy) {
    if (tidy[1] === 0) {
      w = w.slice(0, w.length - tidy[0].length);
      if (w.endsWith('нн') && w.length - 2 >= pV) w = w.slice(0, -1);
    } else if (tidy[1] === 1) {
      if (w.endsWith('нн') && w.length - 2 >= pV) w = w.slice(0, -1);
    } else {
      w = w.slice(0, -1);
    }
  }
  return w;
}

const EN_VOWELS = new Set('aeiouy');
const EN_LI = new Set('cdeghkmnrt');
const EN_DOUBLES = new Set(['bb', 'dd', 'ff', 'gg', 'mm', 'nn', 'pp', 'rr', 'tt']);
const EN_EXCEPTION1 = new Map<string, string>([
  ['skis', 'ski'],
  ['skies', 'sky'],
  ['dying', 'die'],
  ['lying', 'lie'],
  ['tying', 'tie'],
  ['idly', 'idl'],
  ['gently', 'gentl'],
  ['ugly', 'ugli'],
  ['early', 'earli'],
  ['only', 'onli'],
  ['singly', 'singl'],
  ['sky', 'sky'],
  ['news', 'news'],
  ['howe', 'howe'],
  ['atlas', 'atlas'],
  ['cosmos', 'cosmos'],
  ['bias', 'bias'],
  ['andes', 'andes'],
]);
const EN_EXCEPTION2 = new Set(['inning', 'outing', 'canning', 'herring', 'earring', 'proceed', 'exceed', 'succeed']);
const EN_REGION_PREFIXES = ['gener', 'commun', 'arsen'];
const EN_STEP1B = amongList([['eed', 'eedly'], ['ed', 'edly', 'ing', 'ingly']]);
const EN_STEP2: ReadonlyArray<readonly [string, string]> = (
  [
    ['tional', 'tion'],
    ['enci', 'ence'],
    ['anci', 'ance'],
    ['abli', 'able'],
    ['entli', 'ent'],
    ['izer', 'ize'],
    ['ization', 'ize'],
    ['ational', 'ate'],
    ['ation', 'ate'],
    ['ator', 'ate'],
    ['alism', 'al'],
    ['aliti', 'al'],
    ['alli', 'al'],
    ['fulness', 'ful'],
    ['ousli', 'ous'],
    ['ousness', 'ous'],
    ['iveness', 'ive'],
    ['iviti', 'ive'],
    ['biliti', 'ble'],
    ['bli', 'ble'],
    ['ogi', 'og'],
    ['fulli', 'ful'],
    ['lessli', 'less'],
    ['li', ''],
  ] as const
)
  .slice()
  .sort((a, b) => b[0].length - a[0].length);
const EN_STEP3: ReadonlyArray<readonly [string, string]> = (
  [
    ['tional', 'tion'],
    ['ational', 'ate'],
    ['alize', 'al'],
    ['icate', 'ic'],
    ['iciti', 'ic'],
    ['ical', 'ic'],
    ['ful', ''],
    ['ness', ''],
    ['ative', ''],
  ] as const
)
  .slice()
  .sort((a, b) => b[0].length - a[0].length);
const EN_STEP4 = ['al', 'ance', 'ence', 'er', 'ic', 'able', 'ible', 'ant', 'ement', 'ment', 'ent', 'ism', 'ate', 'iti', 'ous', 'ive', 'ize', 'ion']
  .slice()
  .sort((a, b) => b.length - a.length);

/** Snowball English (Porter2) stemmer. Works on lower-case ASCII letters; 'Y' marks a consonant y. */
export function englishStem(word: string): string {
  const exception = EN_EXCEPTION1.get(word);
  if (exception !== undefined) return exception;
  if (word.length < 3) return word;

  let w = word;
  // Prelude: y at the start or after a vowel is a consonant, written Y.
  let yFound = false;
  if (w[0] === 'y') {
    w = 'Y' + w.slice(1);
    yFound = true;
  }
  for (let i = 1; i < w.length; i++) {
    if (w[i] === 'y' && EN_VOWELS.has(w[i - 1]!)) {
      w = w.slice(0, i) + 'Y' + w.slice(i + 1);
      yFound = true;
    }
  }
  const isV = (s: string, i: number) => EN_VOWELS.has(s[i]!);

  // Regions.
  const afterVowelConsonant = (s: string, from: number): number => {
    let c = from;
    while (c < s.length && !isV(s, c)) c++;
    if (c >= s.length) return s.length;
    c++;
    while (c < s.length && isV(s, c)) c++;
    if (c >= s.length) return s.length;
    return c + 1;
  };
  const prefix = EN_REGION_PREFIXES.find((p) => w.startsWith(p));
  const p1 = prefix ? prefix.length : afterVowelConsonant(w, 0);
  const p2 = p1 >= w.length ? w.length : afterVowelConsonant(w, p1);

  /** Snowball's shortv at the end of `s` (the last syllable is short). */
  const endsShortSyllable = (s: string): boolean => {
    const n = s.length;
    if (n >= 3 && !isV(s, n - 1) && isV(s, n - 2) && !isV(s, n - 3) && !'wxY'.includes(s[n - 1]!)) return true;
    return n === 2 && !isV(s, 1) && isV(s, 0);
  };
  const hasVowelBefore = (s: string, end: number): boolean => {
    for (let i = 0; i < end; i++) if (isV(s, i)) return true;
    return false;
  };

  // Step 1a
  if (w.endsWith('sses')) w = w.slice(0, -2);
  else if (w.endsWith('ied') || w.endsWith('ies')) w = w.length > 4 ? w.slice(0, -2) : w.slice(0, -1);
  else if (w.endsWith('us') || w.endsWith('ss')) {
    /* unchanged */
  } else if (w.endsWith('s')) {
    if (hasVowelBefore(w, w.length - 2)) w = w.slice(0, -1);
  }

  if (!EN_EXCEPTION2.has(w)) {
    // Step 1b
    const m1b = among(w, EN_STEP1B, 0);
    if (m1b) {
      const start = w.length - m1b[0].length;
      if (m1b[1] === 0) {
        if (start >= p1) w = w.slice(0, start) + 'ee';
      } else if (hasVowelBefore(w, start)) {
        w = w.slice(0, start);
        if (w.endsWith('at') || w.endsWith('bl') || w.endsWith('iz')) w += 'e';
        else if (EN_DOUBLES.has(w.slice(-2))) w = w.slice(0, -1);
        else if (w.length === p1 && endsShortSyllable(w)) w += 'e';
      }
    }
    // Step 1c
    const last = w[w.length - 1];
    if ((last === 'y' || last === 'Y') && w.length > 2 && !isV(w, w.length - 2)) w = w.slice(0, -1) + 'i';

    // Step 2
    const s2 = EN_STEP2.find(([s]) => w.endsWith(s));
    if (s2 && w.length - s2[0].length >= p1) {
      const start = w.length - s2[0].length;
      if (s2[0] === 'ogi') {
        if (w[start - 1] === 'l') w = w.slice(0, start) + s2[1];
      } else if (s2[0] === 'li') {
        if (EN_LI.has(w[start - 1] ?? '')) w = w.slice(0, start);
      } else w = w.slice(0, start) + s2[1];
    }
    // Step 3
    const s3 = EN_STEP3.find(([s]) => w.endsWith(s));
    if (s3 && w.length - s3[0].length >= p1) {
      const start = w.length - s3[0].length;
      if (s3[0] !== 'ative' || start >= p2) w = w.slice(0, start) + s3[1];
    }
    // Step 4
    const s4 = EN_STEP4.find((s) => w.endsWith(s));
    if (s4 && w.length - s4.length >= p2) {
      const start = w.length - s4.length;
      if (s4 !== 'ion' || w[start - 1] === 's' || w[start - 1] === 't') w = w.slice(0, start);
    }
    // Step 5
    if (w.endsWith('e')) {
      const start = w.length - 1;
      if (start >= p2 || (start >= p1 && !endsShortSyllable(w.slice(0, start)))) w = w.slice(0, start);
    } else if (w.endsWith('l')) {
      if (w.length - 1 >= p2 && w[w.length - 2] === 'l') w = w.slice(0, -1);
    }
  }
  return yFound ? w.replaceAll('Y', 'y') : w;
}
