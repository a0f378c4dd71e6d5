#!/usr/bin/env node
// The tgdesk command. The sources are TypeScript run through tsx's loader, so a fresh
// clone needs no build step between `npm ci` and `tgdesk demo`.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
