#!/usr/bin/env node
// Builds the operator console (src/console/web) into src/console/web/dist, which the daemon
// serves at `/console/`: `node bin/build-console.mjs [--if-possible]`. `--if-possible` (npm's
// `prepare` step) steps aside where Vite or the sources are missing. The build is
// bin/lib/build-web-app.mjs, shared with the NOC wall.
import { WEB_APPS, buildFromCommandLine } from './lib/build-web-app.mjs';

await buildFromCommandLine(WEB_APPS.console, process.argv.slice(2));
