/**
 * The pure rules of tasks (src/domain/tasks.ts): titles, limits, links, webhook bodies, portal
 * commands and the retry schedule. No store, no clock.
 */
import { describe, expect, it } from 'vitest';
import { DomainError } from '../src/domain/errors.ts';
import {
  checkSelection,
  classifyStatus,
  DEFAULT_RETRY_POLICY,
  deriveTitle,
  idempotencyKey,
  parseMessageIds,
  parseMessageLink,
  parsePortalAnswer,
  parsePortalCommand,
  portalEventBody,
  retryDelay,
  RETRY_AFTER_CAP_MS,
  TASK_LIMITS,
  tgdeskMessageLink,
  validateTitle,
  type Task,
} from '../src/domain/tasks.ts';

const code = (fn: () => unknown): string | null => {
  try {
    fn();
    return null;
  } catch (e) {
    return e instanceof DomainError ? e.code : 'not a DomainError';
  }
};

describe('titles and limits', () => {
  it('derives a one-line title from the first line of the first message, cut at a word', () => {
    const m = { contentKind: 'text' as const, mediaSummary: null, senderName: 'Ivan' };
    expect(deriveTitle({ ...m, text: '\n  Nginx   on lb-3 returns 502\nsince 10:00' })).toBe('Nginx on lb-3 returns 502');
    const long = deriveTitle({ ...m, text: 'Коллеги, после обновления ядра на db-prod-2.example перестал подниматься pgbouncer и приложения получают ORA-00942' });
    expect([...long].length).toBeLessThanOrEqual(TASK_LIMITS.derivedTitleMax);
    expect(long.endsWith('…')).toBe(true);
    expect(long).toMatch(/^Коллеги, после обновления ядра/);
    expect(long).not.toMatch(/\s…$/);
    expect(deriveTitle({ ...m, text: 'x'.repeat(300) })).toBe(`${'x'.repeat(79)}…`);
    expect(deriveTitle({ text: '', contentKind: 'document', mediaSummary: 'backup.tar.gz (12 MB)', senderName: 'Olga' })).toBe('File from Olga: backup.tar.gz (12 MB)');
    expect(deriveTitle({ text: '  ', contentKind: 'sticker', mediaSummary: null, senderName: '' })).toBe('Sticker from someone');
  });

  it('checks titles, message ids and selections', () => {
    expect(validateTitle('  a\n b ')).toBe('a b');
    expect(code(() => validateTitle(' \n '))).toBe('BAD_USER_INPUT');
    expect(code(() => validateTitle('я'.repeat(201)))).toBe('BAD_USER_INPUT');
    expect(validateTitle('я'.repeat(200))).toHaveLength(200);
    expect(parseMessageIds(['3', 1, '3', '2'])).toEqual([3, 1, 2]);
    expect(code(() => parseMessageIds([]))).toBe('BAD_USER_INPUT');
    expect(code(() => parseMessageIds(['0']))).toBe('BAD_USER_INPUT');
    expect(code(() => parseMessageIds(['-5']))).toBe('BAD_USER_INPUT');
    expect(code(() => parseMessageIds(Array.from({ length: 101 }, (_, i) => i + 1)))).toBe('BAD_USER_INPUT');
    const found = new Map([
      [1, { id: 1, chatKey: 'a', deleted: false }],
      [2, { id: 2, chatKey: 'b', deleted: false }],
      [3, { id: 3, chatKey: 'a', deleted: true }],
    ]);
    expect(code(() => checkSelection('a', [1], found))).toBeNull();
    expect(code(() => checkSelection('a', [1, 9], found))).toBe('NOT_FOUND');
    expect(code(() => checkSelection('a', [1, 2], found))).toBe('BAD_USER_INPUT');
    expect(code(() => checkSelection('a', [3], found))).toBe('BAD_USER_INPUT');
  });
});

describe('links', () => {
  it('builds and parses tgdesk links, and parses Telegram supergroup links to the stored keys', () => {
    expect(tgdeskMessageLink('u1_2', 42)).toBe('tgdesk://chat/u1_2/message/42');
    expect(parseMessageLink(tgdeskMessageLink('-4500755305', 361))).toEqual({ kind: 'tgdesk', chatKey: '-4500755305', messageId: 361 });
    expect(parseMessageLink('https://t.me/c/1906348782/6')).toEqual({ kind: 'telegram', chatKey: '-1001906348782', msgKey: `m${6 * 1_048_576}` });
    expect(parseMessageLink('https://t.me/c/123/6?thread=1')).toEqual({ kind: 'telegram', chatKey: '-1000000000123', msgKey: `m${6 * 1_048_576}` });
    expect(parseMessageLink('https://t.me/durov/1')).toBeNull();
    expect(parseMessageLink('tgdesk://chat/x/message/0')).toBeNull();
  });
});

describe('the webhook', () => {
  const task: Task = {
    id: '7',
    chatKey: '-100123',
    title: 'Disk full',
    description: '',
    status: 'closed',
    assigneeId: 5,
    createdBy: { userId: 5, name: 'Ivan', source: 'tgdesk' },
    createdAt: Date.UTC(2026, 0, 1, 9),
    updatedAt: Date.UTC(2026, 0, 1, 10),
    closedBy: { userId: null, name: 'Olga (portal)', source: 'portal' },
    closedAt: Date.UTC(2026, 0, 1, 10),
    anchorMessageId: 11,
    messageIds: [11],
    link: 'https://t.me/c/123/1',
    telegramLink: 'https://t.me/c/123/1',
    tgdeskLink: 'tgdesk://chat/-100123/message/11',
    portalTaskId: 'P-1',
    portalUrl: null,
    version: 3,
    messages: [{ messageId: 11, senderKey: 'u9', senderUserId: 9, senderName: 'Client', sentAt: Date.UTC(2026, 0, 1, 8, 59), text: 'disk full!', contentKind: 'text', mediaSummary: null }],
  };

  it('carries the whole task in plain JSON with ISO times and the idempotency key as id', () => {
    const body = portalEventBody('task.closed', 3, Date.UTC(2026, 0, 1, 10), task, { chatTitle: 'Support: ACME', personName: (id) => `member ${id}` });
    expect(body).toEqual({
      id: 'tgdesk-task-7-3',
      type: 'task.closed',
      sequence: 3,
      occurredAt: '2026-01-01T10:00:00.000Z',
      task: expect.objectContaining({
        id: '7',
        version: 3,
        status: 'closed',
        chat: { id: '-100123', title: 'Support: ACME' },
        assignee: { id: '5', name: 'member 5' },
        createdBy: { id: '5', name: 'Ivan', source: 'tgdesk' },
        closedBy: { id: null, name: 'Olga (portal)', source: 'portal' },
        closedAt: '2026-01-01T10:00:00.000Z',
        messages: [{ id: '11', sender: { id: 'u9', name: 'Client' }, sentAt: '2026-01-01T08:59:00.000Z', text: 'disk full!', contentKind: 'text', mediaSummary: null }],
      }),
    });
    expect(JSON.parse(JSON.stringify(body))).toEqual(body);
    expect(idempotencyKey('7', 3)).toBe(body.id);
  });

  it('reads the portal\'s answer leniently', () => {
    expect(parsePortalAnswer({ portalTaskId: 12, url: 'https://portal/t/12' })).toEqual({ portalTaskId: '12', portalUrl: 'https://portal/t/12' });
    expect(parsePortalAnswer({ url: 'javascript:alert(1)' })).toEqual({ portalTaskId: null, portalUrl: null });
    expect(parsePortalAnswer(null)).toEqual({ portalTaskId: null, portalUrl: null });
    expect(parsePortalAnswer('ok')).toEqual({ portalTaskId: null, portalUrl: null });
  });

  it('parses portal commands and names the field at fault', () => {
    expect(parsePortalCommand({ id: 'r1', type: 'task.close', taskId: '7', by: { name: ' Olga ', userId: '55' } })).toEqual({ id: 'r1', type: 'task.close', taskId: '7', portalTaskId: null, by: { name: 'Olga', userId: 55 } });
    expect(parsePortalCommand({ id: 'r2', type: 'task.update', portalTaskId: 'P-1', assigneeId: null })).toMatchObject({ assigneeId: null, taskId: null, portalTaskId: 'P-1' });
    const field = (json: unknown) => {
      try {
        parsePortalCommand(json);
        return null;
      } catch (e) {
        return (e as DomainError).details['field'] ?? (e as DomainError).message;
      }
    };
    expect(field([])).toBe('the body must be a JSON object');
    expect(field({ type: 'task.close', taskId: '7' })).toBe('id');
    expect(field({ id: 'r', type: 'task.delete', taskId: '7' })).toBe('type');
    expect(field({ id: 'r', type: 'task.close' })).toBe('taskId');
    expect(field({ id: 'r', type: 'task.close', taskId: 'abc' })).toBe('taskId');
    expect(field({ id: 'r', type: 'task.close', taskId: '7', by: { userId: 1 } })).toBe('by');
    expect(field({ id: 'r', type: 'task.update', taskId: '7' })).toBe('task.update needs at least one of title, description, assigneeId');
    expect(field({ id: 'r', type: 'task.update', taskId: '7', assigneeId: -1 })).toBe('assigneeId');
  });
});

describe('retries', () => {
  it('backs off exponentially with jitter, up to the cap, and honours a longer Retry-After', () => {
    const p = { baseMs: 1_000, maxMs: 60_000, maxAttempts: 10 };
    expect(retryDelay(1, p, 0)).toBe(500);
    expect(retryDelay(1, p, 0.999)).toBe(1_000);
    expect(retryDelay(4, p, 0)).toBe(4_000);
    expect(retryDelay(4, p, 0.5)).toBe(6_000);
    expect(retryDelay(20, p, 0)).toBe(30_000);
    expect(retryDelay(20, p, 0.999_999)).toBe(60_000);
    expect(retryDelay(500, p, 1)).toBe(60_000);
    expect(retryDelay(1, p, 0, 10_000)).toBe(10_000);
    expect(retryDelay(10, p, 1, 10)).toBe(60_000);
    expect(retryDelay(1, p, 0, 10 * RETRY_AFTER_CAP_MS)).toBe(RETRY_AFTER_CAP_MS);
    // The default gives up after about a day of failures.
    let total = 0;
    for (let a = 1; a < DEFAULT_RETRY_POLICY.maxAttempts; a++) total += retryDelay(a, DEFAULT_RETRY_POLICY, 0.5);
    expect(total / 3_600_000).toBeGreaterThan(18);
    expect(total / 3_600_000).toBeLessThan(30);
  });

  it('retries passing failures and gives up on refusals', () => {
    for (const s of [408, 425, 429, 500, 502, 503, 504]) expect(classifyStatus(s)).toBe('retry');
    for (const s of [400, 401, 403, 404, 409, 410, 413, 422]) expect(classifyStatus(s)).toBe('refused');
  });
});
