/**
 * The web console's build (Vite): sources in web/, output in dist/console, which the API serves
 * at / (api/plugins/console.ts). Each route is its own chunk (router/index.ts imports views
 * lazily), so the sign-in page loads only Vue, the router and the few Element Plus parts it uses.
 */
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { defineConfig, type Plugin } from 'vite';
import vue from '@vitejs/plugin-vue';

const outDir = path.join(import.meta.dirname, '..', 'dist', 'console');

/** A .gz beside every script, style sheet and page, served as is by @fastify/static (preCompressed). */
function gzipSiblings(): Plugin {
  return {
    name: 'gzip-siblings',
    apply: 'build',
    closeBundle() {
      const walk = (dir: string): string[] => fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : [path.join(dir, e.name)]));
      for (const file of walk(outDir).filter((f) => /\.(js|css|html|svg|json)$/.test(f))) {
        fs.writeFileSync(`${file}.gz`, zlib.gzipSync(fs.readFileSync(file), { level: 9 }));
      }
    },
  };
}

export default defineConfig({
  root: import.meta.dirname,
  base: '/',
  plugins: [vue(), gzipSiblings()],
  build: {
    outDir,
    emptyOutDir: true,
    chunkSizeWarningLimit: 1200,
    reportCompressedSize: false,
  },
  server: {
    // `npx vite web` during development: the API (npm start) answers the rest.
    proxy: Object.fromEntries(['/auth', '/me', '/projects', '/cycles', '/evidence-files', '/audit', '/orgs', '/users', '/reports', '/ledger', '/directory'].map((p) => [p, 'http://127.0.0.1:3000'])),
  },
});
