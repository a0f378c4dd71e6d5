// Builds one of tgdesk's browser apps (the NOC wall, the operator console) with Vite into its
// `dist` folder, which the daemon serves (src/graphql/static-app.ts). bin/build-noc.mjs and
// bin/build-console.mjs are this module's command lines, one per app.
//
// Each runs as npm's `prepare` step, so `npm ci` / `npm install` on a fresh clone leaves built
// apps. With `--if-possible` a build steps aside quietly where it cannot run: a production install
// without Vite (`npm ci --omit=dev`) or a checkout without the app's sources (the Dockerfile's
// install layer; the image gets the apps from a build stage of its own).
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SRC = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'src');

/** @typedef {{ readonly name: string, readonly root: string, readonly dist: string }} WebApp */

/** @type {Readonly<Record<'noc' | 'console', WebApp>>} */
export const WEB_APPS = Object.freeze({
  noc: { name: 'NOC wall', root: join(SRC, 'noc', 'web'), dist: join(SRC, 'noc', 'web', 'dist') },
  console: { name: 'console', root: join(SRC, 'console', 'web'), dist: join(SRC, 'console', 'web', 'dist') },
});

/**
 * Builds the app; resolves with its output directory.
 * @param {WebApp} app
 */
export async function buildWebApp(app, { quiet = false } = {}) {
  const { build } = await import('vite');
  await build({
    root: app.root,
    configFile: false,
    // Relative asset URLs: the app works where the daemon mounts it (/, /console/) and behind a
    // proxy that mounts it under a prefix of its own.
    base: './',
    logLevel: quiet ? 'error' : 'warn',
    build: { outDir: app.dist, emptyOutDir: true, target: 'es2022', sourcemap: false, reportCompressedSize: false },
  });
  return app.dist;
}

/**
 * The command line of a builder script: `node bin/build-X.mjs [--if-possible]`.
 * @param {WebApp} app
 * @param {readonly string[]} args
 */
export async function buildFromCommandLine(app, args) {
  const ifPossible = args.includes('--if-possible');
  if (!existsSync(join(app.root, 'index.html'))) {
    if (!ifPossible) {
      console.error(`tgdesk: the ${app.name}'s sources are not at ${app.root}`);
      process.exit(1);
    }
    process.exit(0);
  }
  try {
    await import('vite');
  } catch {
    if (ifPossible) {
      console.error(`tgdesk: Vite is not installed (a production install); the ${app.name} is not built here.`);
      process.exit(0);
    }
    console.error('tgdesk: Vite is not installed; run `npm ci` (with dev dependencies) first.');
    process.exit(1);
  }
  await buildWebApp(app);
  console.error(`tgdesk: ${app.name} built into ${app.dist}`);
}
