/**
 * What the browser tests of the NOC wall and the operator console share: the apps built from this
 * checkout's sources (what is under test) once per change, Debian's Chromium (never a downloaded
 * one), and screenshots in artifacts/, a failing test's too.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { beforeEach } from 'vitest';

export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'];
export const ARTIFACTS = join(process.cwd(), 'artifacts');

const APPS = {
  noc: { root: join(process.cwd(), 'src', 'noc', 'web'), script: 'bin/build-noc.mjs' },
  console: { root: join(process.cwd(), 'src', 'console', 'web'), script: 'bin/build-console.mjs' },
} as const;

function newestSource(dir: string): number {
  let newest = 0;
  for (const name of readdirSync(dir)) {
    if (name === 'dist' || name === 'node_modules') continue;
    const path = join(dir, name);
    const st = statSync(path);
    newest = Math.max(newest, st.isDirectory() ? newestSource(path) : st.mtimeMs);
  }
  return newest;
}

/**
 * Builds the app from this checkout's sources unless its build is newer than every source. Test
 * files run in parallel: a lock keeps two builds from emptying the output under each other (or
 * under a page loading it), and the second finds the first's build fresh.
 */
export function buildWebApp(app: keyof typeof APPS): void {
  const { root, script } = APPS[app];
  const lock = join(tmpdir(), `tgdesk-${app}-build-${Buffer.from(root).toString('base64url').slice(-40)}.lock`);
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      if (Date.now() > deadline) throw new Error(`another ${app} build holds ${lock}`);
      execFileSync(process.execPath, ['-e', 'setTimeout(() => {}, 200)']);
    }
  }
  try {
    const index = join(root, 'dist', 'index.html');
    if (existsSync(index) && statSync(index).mtimeMs > newestSource(root)) return;
    execFileSync(process.execPath, [script], { stdio: 'pipe' });
  } finally {
    rmdirSync(lock);
  }
}

export async function launchChromium(extraArgs: readonly string[] = []): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium`);
  return chromium.launch({ executablePath: CHROMIUM, args: [...CHROMIUM_ARGS, ...extraArgs] });
}

/** Saves artifacts/NAME.png; resolves with its path. */
export async function saveScreenshot(page: Page, name: string): Promise<string> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const path = join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path });
  return path;
}

/** A failing test in this file leaves artifacts/PREFIX-failed-TEST.png of the page `page()` returns. */
export function screenshotOnFailure(prefix: string, page: () => Page | undefined): void {
  beforeEach((ctx) => {
    ctx.onTestFailed(async () => {
      const p = page();
      if (p && !p.isClosed()) await saveScreenshot(p, `${prefix}-failed-${ctx.task.name.slice(0, 40).replace(/[^a-z0-9]+/gi, '-')}`).catch(() => undefined);
    });
  });
}
