/**
 * The console's API types (web/src/api/schema.d.ts) are generated from the server's OpenAPI
 * document; this fails when the committed file is not what the current server generates, so the
 * console's types cannot drift from the API. Fix: `npm run console:types` and commit the file.
 */
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { consoleTypes, SCHEMA_FILE } from '../../scripts/console-types';

describe('the web console\'s API types', () => {
  it('are what the current OpenAPI document generates (run `npm run console:types` when this fails)', async () => {
    const expected = await consoleTypes();
    const committed = fs.readFileSync(SCHEMA_FILE, 'utf8');
    // Not toBe: a diff of an 800 KB file helps nobody; the message says what to do.
    expect(committed === expected, 'web/src/api/schema.d.ts is stale: run `npm run console:types` and commit it').toBe(true);
  }, 120_000);
});
