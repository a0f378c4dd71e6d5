#!/usr/bin/env node
// Builds the NOC wall (src/noc/web) into src/noc/web/dist, which the daemon serves at `/`.
// It runs as npm's `prepare` step, so `npm ci` on a fresh clone leaves a built wall. With
// `--if-possible` it steps aside quietly where it cannot build: a production install without
// Vite (`npm ci --omit=dev`) or a checkout without the wall's sources (the Dockerfile's install
// layer; the image gets the wall from its own build stage).
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const WALL_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'noc', 'web');
export const WALL_DIST = join(WALL_ROOT, 'dist');

/** Builds the wall; resolves with the output directory. */
export async function buildWall({ quiet = false } = {}) {
  const { build } = await import('vite');
  await build({
    root: WALL_ROOT,
    configFile: false,
    // Relative asset URLs: the wall works at / and behind a proxy that mounts it under a prefix.
    base: './',
    logLevel: quiet ? 'error' : 'warn',
    build: { outDir: WALL_DIST, emptyOutDir: true, target: 'es2022', sourcemap: false, reportCompressedSize: false },
  });
  return WALL_DIST;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const ifPossible = process.argv.includes('--if-possible');
  if (!existsSync(join(WALL_ROOT, 'index.html'))) {
    if (!ifPossible) {
      console.error(`tgdesk: the NOC wall's sources are not at ${WALL_ROOT}`);
      process.exit(1);
    }
    process.exit(0);
  }
  try {
    await import('vite');
  } catch {
    if (ifPossible) {
      console.error('tgdesk: Vite is not installed (a production install); the NOC wall is not built here.');
      process.exit(0);
    }
    console.error('tgdesk: Vite is not installed; run `npm ci` (with dev dependencies) first.');
    process.exit(1);
  }
  await buildWall();
  console.error(`tgdesk: NOC wall built into ${WALL_DIST}`);
}
