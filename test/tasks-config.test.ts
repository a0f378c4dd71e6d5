/**
 * The task settings in the configuration: the reaction on a task's messages is off unless set,
 * and must be one emoji.
 */
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config/config.ts';

describe('task configuration', () => {
  it('has no reaction by default, takes one emoji for open and closed tasks, and names a bad value', () => {
    expect(loadConfig({ mode: 'demo', env: {} }).tasks).toEqual({ reaction: null, closedReaction: null });
    expect(loadConfig({ mode: 'demo', env: { TGDESK_TASK_REACTION: ' 📌 ', TGDESK_TASK_CLOSED_REACTION: '✅' } }).tasks).toEqual({ reaction: '📌', closedReaction: '✅' });
    expect(loadConfig({ mode: 'demo', env: { TGDESK_TASK_REACTION: '❤️' } }).tasks.reaction).toBe('❤️');
    let error: unknown = null;
    try {
      loadConfig({ mode: 'demo', env: { TGDESK_TASK_REACTION: 'pin', TGDESK_TASK_CLOSED_REACTION: '👍 👍' } });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems.join('\n')).toMatch(/TGDESK_TASK_REACTION: expected one emoji[\s\S]*TGDESK_TASK_CLOSED_REACTION: expected one emoji/);
  });

  it('requires the secret with a portal URL, and keeps it out of JSON', () => {
    expect(() => loadConfig({ mode: 'demo', env: { TGDESK_PORTAL_URL: 'https://portal.example/hook' } })).toThrow(/TGDESK_PORTAL_SECRET/);
    const config = loadConfig({ mode: 'demo', env: { TGDESK_PORTAL_URL: 'https://portal.example/hook', TGDESK_PORTAL_SECRET: 's3cr3t-value' } });
    expect(config.portal.secret?.reveal()).toBe('s3cr3t-value');
    expect(JSON.stringify(config)).not.toContain('s3cr3t-value');
  });
});
