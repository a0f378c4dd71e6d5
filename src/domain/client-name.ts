/**
 * The client's name for a support chat, as the team would say it: "Acme", not
 * "Support: Acme / OurCompany 🔧".
 *
 * In order:
 *  1. if the support title pattern has a named group `client` and it matches, that group;
 *  2. otherwise the title with common decorations removed, repeatedly until nothing changes:
 *     - a support word as a prefix or suffix ("Support: ", "[Support] ", " - поддержка",
 *       "Техподдержка | "),
 *     - one of our own company names joined by a separator ("OurCo / ", " x OurCo", " <> OurCo"),
 *     - separators, whitespace and emoji at either end;
 *  3. if that leaves nothing (the title was only decoration, like "Support" or "OurCo"), the
 *     name of the outsider who wrote the most in the chat;
 *  4. failing that, the title as it is.
 * Decorations inside the name are kept: "Foo - Bar" with neither part a support word or our
 * company stays as it is, since either side could be the client.
 */

export interface ClientNameOptions {
  /** Our own company names as they appear in chat titles ("OurCompany", "Наша Компания"). */
  readonly companyNames: readonly string[];
  /** The compiled support title pattern (Classifier.supportTitlePattern), if any. */
  readonly titlePattern: RegExp | null;
}

export interface ClientNamer {
  readonly titlePattern: RegExp | null;
  readonly decorations: readonly RegExp[];
}

const SUPPORT_WORDS = [
  'support',
  'tech support',
  'technical support',
  'help ?desk',
  'service ?desk',
  'поддержка',
  'техподдержка',
  'тех\\.? ?поддержка',
  'техническая поддержка',
  'саппорт',
  'сопровождение',
].join('|');

// A joiner between two names: punctuation with optional spaces, or a spaced "x"/"×" as in
// "Acme x OurCo", which without the spaces would eat letters of real names.
const JOINER = '(?:\\s*(?:[:|/\\\\&+×·•–—-]+|<-?>)\\s*|\\s+[x×]\\s+)';
const EDGE = '[\\s:|/\\\\·•–—\\-\\p{Extended_Pictographic}\\uFE0F\\u200D]+';

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export function compileClientNamer(options: ClientNameOptions): ClientNamer {
  const decorations: RegExp[] = [
    new RegExp(`^\\s*[[(]\\s*(?:${SUPPORT_WORDS})\\s*[\\])]\\s*`, 'iu'),
    new RegExp(`^\\s*(?:${SUPPORT_WORDS})(?:${JOINER}|\\s+)`, 'iu'),
    new RegExp(`(?:${JOINER}|\\s+)(?:${SUPPORT_WORDS})\\s*$`, 'iu'),
    new RegExp(`\\s*[[(]\\s*(?:${SUPPORT_WORDS})\\s*[\\])]\\s*$`, 'iu'),
  ];
  for (const raw of options.companyNames) {
    const name = raw.trim();
    if (name === '') continue;
    const n = escapeRegExp(name);
    decorations.push(new RegExp(`^\\s*${n}${JOINER}`, 'iu'), new RegExp(`${JOINER}${n}\\s*$`, 'iu'));
    // A title that is only our name (or only a support word) strips to nothing: step 3 then.
    decorations.push(new RegExp(`^\\s*${n}\\s*$`, 'iu'));
  }
  decorations.push(new RegExp(`^\\s*(?:${SUPPORT_WORDS})\\s*$`, 'iu'), new RegExp(`^${EDGE}`, 'u'), new RegExp(`${EDGE}$`, 'u'));
  return { titlePattern: options.titlePattern, decorations };
}

/**
 * @param mostActiveOutsiderName the display name of the non-team member with the most messages
 *   in the chat, or null when unknown (see `mostActiveOutsider`).
 */
export function clientNameOf(namer: ClientNamer, title: string, mostActiveOutsiderName: string | null): string {
  const fromTitle = clientNameFromTitle(namer, title);
  if (fromTitle !== null) return fromTitle;
  const outsider = mostActiveOutsiderName?.trim() ?? '';
  return outsider !== '' ? outsider : title.trim();
}

/**
 * The client's name as the title alone gives it (steps 1 and 2 of `clientNameOf`), or null when
 * the title holds none and the chat's people must name the client.
 */
export function clientNameFromTitle(namer: ClientNamer, title: string): string | null {
  const fromPattern = namer.titlePattern?.exec(title)?.groups?.['client']?.trim();
  if (fromPattern !== undefined && fromPattern !== '') return fromPattern;

  let name = title;
  // Each pass removes at least one character or stops, so this ends; the cap only guards
  // against a pathological title paying for many passes.
  for (let pass = 0; pass < 8; pass++) {
    let next = name;
    for (const re of namer.decorations) next = next.replace(re, '');
    if (next === name) break;
    name = next;
  }
  name = name.trim();
  return name !== '' ? name : null;
}

export interface SenderActivity {
  readonly userId: number;
  readonly name: string;
  readonly messageCount: number;
}

/**
 * The outsider who wrote the most; ties go to the lower user id so the answer is stable.
 * `isTeam` is usually `(id) => isTeamUser(roster, id)`.
 */
export function mostActiveOutsider(senders: Iterable<SenderActivity>, isTeam: (userId: number) => boolean): SenderActivity | null {
  let best: SenderActivity | null = null;
  for (const s of senders) {
    if (isTeam(s.userId) || s.messageCount <= 0) continue;
    if (best === null || s.messageCount > best.messageCount || (s.messageCount === best.messageCount && s.userId < best.userId)) best = s;
  }
  return best;
}
