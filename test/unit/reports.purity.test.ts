/** The reports are pure: no I/O, no clock, no randomness, so the same states always give the same report. */
import fs from 'node:fs';
import path from 'node:path';
import { builtinModules } from 'node:module';
import { describe, expect, it } from 'vitest';

const reportsDir = path.join(__dirname, '..', '..', 'reports');
const files = fs.readdirSync(reportsDir).filter((f) => f.endsWith('.ts'));

describe('report code stays pure', () => {
  it('has report modules to check', () => {
    expect(files).toEqual(expect.arrayContaining(['index.ts', 'figures.ts', 'quarterly.ts', 'bestOf.ts', 'compilation.ts']));
  });

  it.each(files)('%s imports no Node built-in and no I/O library', (file) => {
    const text = fs.readFileSync(path.join(reportsDir, file), 'utf8');
    const imports = [...text.matchAll(/^import\s+(type\s+)?[^'"]*['"]([^'"]+)['"]/gm)].map((m) => ({ typeOnly: Boolean(m[1]), from: m[2] }));
    for (const { typeOnly, from } of imports) {
      if (typeOnly) continue;
      expect(builtinModules, `${file} imports ${from}`).not.toContain(from.replace(/^node:/, ''));
      // ECharts (its server-side SVG renderer, reports/charts.ts) draws in memory: no I/O, no clock.
      expect(from, `${file} imports ${from}`).toMatch(/^\.\/|^\.\.\/workflows\/lifecycle$|^echarts\/(core|charts|components|renderers)$/);
    }
  });

  it.each(files)('%s reads no clock, randomness, environment or locale', (file) => {
    const text = fs.readFileSync(path.join(reportsDir, file), 'utf8').replace(/\/\/.*$|\/\*[\s\S]*?\*\//gm, '');
    expect(text).not.toMatch(/Date\.now|new Date\(\)|Math\.random|performance\.now|process\.|localeCompare|toLocale|Intl\./);
  });
});
