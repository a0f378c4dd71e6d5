/**
 * Runs one bench function in this (fresh) process and writes its result as JSON to a file:
 *   node --expose-gc bin/run-ts.mjs bench/lib/child.ts MODULE EXPORT OPTIONS_JSON OUT_FILE
 * The runner starts every bench this way, so one bench's heap, JIT state and leftovers never
 * colour the next one's figures.
 */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const [modulePath, exportName, optionsJson, outFile] = process.argv.slice(2);
if (!modulePath || !exportName || !outFile) {
  console.error('usage: child.ts MODULE EXPORT OPTIONS_JSON OUT_FILE');
  process.exit(2);
}
try {
  const mod = (await import(pathToFileURL(resolve(modulePath)).href)) as Record<string, unknown>;
  const fn = mod[exportName];
  if (typeof fn !== 'function') throw new Error(`${modulePath} does not export a function ${exportName}`);
  const result = await (fn as (o: unknown) => Promise<unknown>)(JSON.parse(optionsJson ?? '{}'));
  writeFileSync(outFile, JSON.stringify({ ok: true, result }));
  process.exit(0);
} catch (error) {
  writeFileSync(outFile, JSON.stringify({ ok: false, error: String((error as Error)?.stack ?? error) }));
  process.exit(1);
}
