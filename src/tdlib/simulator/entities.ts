/**
 * The entities TDLib finds by itself in plain text (mentions, URLs, hashtags), and which users a
 * text mentions. Offsets are UTF-16 code units, which is what JavaScript string indices count.
 */
import type * as Td from 'tdlib-types';

// Telegram usernames: 5–32 of [A-Za-z0-9_], not glued to a preceding word character.
const MENTION = /(^|[^A-Za-z0-9_@])@([A-Za-z0-9_]{5,32})(?![A-Za-z0-9_])/g;
const URL = /https?:\/\/[^\s<>"']+[^\s<>"'.,;:!?)]/g;
const HASHTAG = /(^|[^\p{L}\p{N}_#])#([\p{L}\p{N}_]{1,64})/gu;

export function detectEntities(text: string): Td.textEntity[] {
  const found: Td.textEntity[] = [];
  for (const m of text.matchAll(MENTION)) {
    const offset = (m.index ?? 0) + (m[1] ?? '').length;
    found.push({ _: 'textEntity', offset, length: 1 + (m[2] ?? '').length, type: { _: 'textEntityTypeMention' } });
  }
  for (const m of text.matchAll(URL)) {
    found.push({ _: 'textEntity', offset: m.index ?? 0, length: m[0].length, type: { _: 'textEntityTypeUrl' } });
  }
  for (const m of text.matchAll(HASHTAG)) {
    const offset = (m.index ?? 0) + (m[1] ?? '').length;
    found.push({ _: 'textEntity', offset, length: 1 + (m[2] ?? '').length, type: { _: 'textEntityTypeHashtag' } });
  }
  return found;
}

/** Caller-given entities first; detected ones are added where they do not overlap them. */
export function mergeEntities(given: readonly Td.textEntity[], detected: readonly Td.textEntity[]): Td.textEntity[] {
  const overlaps = (a: Td.textEntity, b: Td.textEntity) => a.offset < b.offset + b.length && b.offset < a.offset + a.length;
  const out = [...given];
  for (const d of detected) if (!given.some((g) => overlaps(g, d))) out.push(d);
  return out.sort((a, b) => a.offset - b.offset || b.length - a.length);
}

/** Lower-cased usernames mentioned with `@name` entities. */
export function mentionedUsernames(text: string, entities: readonly Td.textEntity[]): string[] {
  return entities
    .filter((e) => e.type._ === 'textEntityTypeMention')
    .map((e) => text.slice(e.offset + 1, e.offset + e.length).toLowerCase());
}

/** User ids mentioned by name without a username (`textEntityTypeMentionName`). */
export function mentionedUserIds(entities: readonly Td.textEntity[]): number[] {
  return entities.flatMap((e) => (e.type._ === 'textEntityTypeMentionName' ? [e.type.user_id] : []));
}

/**
 * Turns a request's input entities into output entities. Only the kinds a client sends in
 * practice are kept; anything else is dropped as TDLib would drop an invalid entity.
 */
export function entitiesFromInput(input: readonly Td.textEntity$Input[] | undefined, textLength: number): Td.textEntity[] {
  const out: Td.textEntity[] = [];
  for (const e of input ?? []) {
    const offset = e.offset ?? 0;
    const length = e.length ?? 0;
    if (length <= 0 || offset < 0 || offset + length > textLength || !e.type) continue;
    const type = simpleEntityType(e.type);
    if (type) out.push({ _: 'textEntity', offset, length, type });
  }
  return out;
}

function simpleEntityType(type: Td.TextEntityType$Input): Td.TextEntityType | null {
  switch (type._) {
    case 'textEntityTypeMentionName':
      return { _: 'textEntityTypeMentionName', user_id: type.user_id ?? 0 };
    case 'textEntityTypeTextUrl':
      return { _: 'textEntityTypeTextUrl', url: type.url ?? '' };
    case 'textEntityTypeBold':
      return { _: 'textEntityTypeBold' };
    case 'textEntityTypeItalic':
      return { _: 'textEntityTypeItalic' };
    case 'textEntityTypeCode':
      return { _: 'textEntityTypeCode' };
    case 'textEntityTypePre':
      return { _: 'textEntityTypePre' };
    case 'textEntityTypeMention':
      return { _: 'textEntityTypeMention' };
    case 'textEntityTypeUrl':
      return { _: 'textEntityTypeUrl' };
    default:
      return null;
  }
}
