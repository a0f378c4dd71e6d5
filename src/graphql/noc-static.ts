/** The NOC wall (src/noc/web/dist, built by `bin/build-noc.mjs`), served at `/` (src/graphql/static-app.ts). */
import { fileURLToPath } from 'node:url';
import { StaticApp } from './static-app.ts';

export const NOC_DIST = fileURLToPath(new URL('../noc/web/dist/', import.meta.url));
const BUILD_SCRIPT = fileURLToPath(new URL('../../bin/build-noc.mjs', import.meta.url));

export class NocStatic extends StaticApp {
  constructor(dir = NOC_DIST, buildWhenMissing = true) {
    super({ name: 'NOC wall', dir, mount: '/', buildScript: BUILD_SCRIPT, buildWhenMissing });
  }
}
