/**
 * `tgdesk roster add` and `remove` as a manager runs them: the real `bin/tgdesk.mjs` in its own
 * process, against a running daemon's API over HTTP.
 */
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiHarness, type ApiHarness } from './helpers/api-harness.ts';

let h: ApiHarness;

beforeAll(async () => {
  h = await startApiHarness();
});

afterAll(async () => {
  await h?.dispose();
});

/** Runs the command to its end; the daemon in this process keeps serving meanwhile. */
function tgdesk(args: string[], token: string | null): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const env: NodeJS.ProcessEnv = { ...process.env, TGDESK_URL: h.url };
    delete env['TGDESK_TOKEN'];
    if (token) env['TGDESK_TOKEN'] = token;
    const child = spawn(process.execPath, ['bin/tgdesk.mjs', 'roster', ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.once('error', reject);
    child.once('exit', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

async function member(id: string) {
  const r = await h.gql<{ teamMembers: { id: string; name: string; role: string; source: string }[] }>('{ teamMembers { id name role source } }');
  return r.body.data!.teamMembers.find((m) => m.id === id) ?? null;
}

describe('tgdesk roster', () => {
  it('adds a member with a role and name, changes the role, and removes them again', async () => {
    const id = '777000042';
    const added = await tgdesk(['add', id, '--role', 'admin', '--name', 'Vera Newhire'], h.tokens.manager);
    expect(added.stderr).toBe('');
    expect(added.status).toBe(0);
    expect(added.stdout).toBe(`${id} Vera Newhire is on the team as admin\n`);
    expect(await member(id)).toEqual({ id, name: 'Vera Newhire', role: 'ADMIN', source: 'api' });
    // Who is team decides what a support chat is: the daemon knows at once.
    expect(h.sim.daemon.model.roster.byId.has(Number(id))).toBe(true);

    const promoted = await tgdesk(['add', id, '--role', 'manager', '--name', 'Vera Newhire'], h.tokens.manager);
    expect(promoted.status).toBe(0);
    expect((await member(id))?.role).toBe('MANAGER');

    const list = await tgdesk(['list'], h.tokens.viewer);
    expect(list.status).toBe(0);
    expect(list.stdout).toMatch(new RegExp(`^${id} +manager +api +\\S+ +Vera Newhire$`, 'm'));

    const removed = await tgdesk(['remove', id], h.tokens.manager);
    expect(removed.status).toBe(0);
    expect(removed.stdout).toBe(`${id} is no longer on the team\n`);
    expect(await member(id)).toBeNull();
    const again = await tgdesk(['remove', id], h.tokens.manager);
    expect(again.status).toBe(0);
    expect(again.stdout).toBe(`${id} was not on the team\n`);
  }, 120_000);

  it('refuses bad input, other roles and members it did not add, changing nothing', async () => {
    const before = await h.gql('{ teamMembers { id role source } }');
    const noRole = await tgdesk(['add', '777000043'], h.tokens.manager);
    expect(noRole.status).toBe(2);
    expect(noRole.stderr).toContain('add needs a user id and --role admin or --role manager');
    const badRole = await tgdesk(['add', '777000043', '--role', 'boss'], h.tokens.manager);
    expect(badRole.status).toBe(2);
    const notAnId = await tgdesk(['add', 'vera', '--role', 'admin'], h.tokens.manager);
    expect(notAnId.status).toBe(1);
    expect(notAnId.stderr).toContain('BAD_USER_INPUT');

    const viewer = await tgdesk(['add', '777000043', '--role', 'admin'], h.tokens.viewer);
    expect(viewer.status).toBe(1);
    expect(viewer.stderr).toContain('FORBIDDEN');
    const admin = await tgdesk(['remove', String(h.members.admin)], h.tokens.admin);
    expect(admin.status).toBe(1);
    expect(admin.stderr).toContain('FORBIDDEN');
    const noToken = await tgdesk(['add', '777000043', '--role', 'admin'], null);
    expect(noToken.status).not.toBe(0);
    expect(noToken.stderr).toContain('TGDESK_TOKEN');

    // A member from the configuration is not the CLI's to remove.
    const configured = String(h.sim.demo.company.team[0]!.userId);
    const conflict = await tgdesk(['remove', configured], h.tokens.manager);
    expect(conflict.status).toBe(1);
    expect(conflict.stderr).toContain('CONFLICT');
    expect((await h.gql('{ teamMembers { id role source } }')).body).toEqual(before.body);
  }, 120_000);
});
