#!/usr/bin/env node
// Builds the NOC wall (src/noc/web) into src/noc/web/dist, which the daemon serves at `/`:
// `node bin/build-noc.mjs [--if-possible]`. `--if-possible` (npm's `prepare` step) steps aside
// where Vite or the sources are missing. The build is bin/lib/build-web-app.mjs, shared with the
// operator console.
import { WEB_APPS, buildFromCommandLine } from './lib/build-web-app.mjs';

await buildFromCommandLine(WEB_APPS.noc, process.argv.slice(2));
