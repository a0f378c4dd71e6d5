/** The operator console (src/console/web/dist, built by `bin/build-console.mjs`), served at `/console/` (src/graphql/static-app.ts). */
import { fileURLToPath } from 'node:url';
import { StaticApp } from './static-app.ts';

export const CONSOLE_DIST = fileURLToPath(new URL('../console/web/dist/', import.meta.url));
const BUILD_SCRIPT = fileURLToPath(new URL('../../bin/build-console.mjs', import.meta.url));
export const CONSOLE_PATH = '/console';

export class ConsoleStatic extends StaticApp {
  constructor(dir = CONSOLE_DIST, buildWhenMissing = true) {
    super({ name: 'console', dir, mount: CONSOLE_PATH, buildScript: BUILD_SCRIPT, buildWhenMissing });
  }
}
