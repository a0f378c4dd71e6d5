#!/usr/bin/env node
// Builds the operator console (src/console/web) into src/console/web/dist, which the daemon
// serves at `/console`. The same mechanism as the NOC wall (bin/build-noc.mjs): it runs at
// `npm install` (the `prepare` step) so a fresh clone has a built console, the browser tests
// build it before they run, and `--if-possible` steps aside quietly where Vite or the sources
// are missing (a production install, the Dockerfile's install layer).
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const CONSOLE_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'console', 'web');
export const CONSOLE_DIST = join(CONSOLE_ROOT, 'dist');

/** Builds the console; resolves with the output directory. */
export async function buildConsole({ quiet = false } = {}) {
  const { build } = await import('vite');
  await build({
    root: CONSOLE_ROOT,
    configFile: false,
    // Relative asset URLs: served at /console/, and behind a proxy that mounts it elsewhere.
    base: './',
    logLevel: quiet ? 'error' : 'warn',
    build: { outDir: CONSOLE_DIST, emptyOutDir: true, target: 'es2022', sourcemap: false, reportCompressedSize: false },
  });
  return CONSOLE_DIST;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const ifPossible = process.argv.includes('--if-possible');
  if (!existsSync(join(CONSOLE_ROOT, 'index.html'))) {
    if (!ifPossible) {
      console.error(`tgdesk: the console's sources are not at ${CONSOLE_ROOT}`);
      process.exit(1);
    }
    process.exit(0);
  }
  try {
    await import('vite');
  } catch {
    if (ifPossible) {
      console.error('tgdesk: Vite is not installed (a production install); the console is not built here.');
      process.exit(0);
    }
    console.error('tgdesk: Vite is not installed; run `npm install` (with dev dependencies) first.');
    process.exit(1);
  }
  await buildConsole();
  console.error(`tgdesk: console built into ${CONSOLE_DIST}`);
}
