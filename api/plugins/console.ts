/**
 * The web console (web/, built by Vite into dist/console) served by the API process:
 * `/` and every client-side route under `/app/` answer index.html (never cached, so a new build
 * shows at once), `/assets/*` the hashed bundles (cached a year, immutable; gzip siblings written
 * by the build are sent to browsers that accept them). Everything else stays the API's: an unknown
 * path answers the API's problem+json 404, whatever the client accepts. The routes are public (the
 * console signs in through the API) and hidden from the OpenAPI document.
 *
 * Without a build (`npm run console:build`, or `npm start`, which builds when needed), `/` says so
 * in a short Chinese page instead.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { FastifyInstance, FastifyReply } from 'fastify';
import fastifyStatic from '@fastify/static';

export const CONSOLE_DIR = path.join(__dirname, '..', '..', 'dist', 'console');
/** The console's routes, as the route inventory names them (they are not API routes). */
export const CONSOLE_ROUTES = ['GET /', 'GET /app', 'GET /app/*', 'GET /assets/*'] as const;

const NOT_BUILT = `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>控制台尚未构建</title></head>
<body style="font-family: sans-serif; max-width: 40em; margin: 3em auto; line-height: 1.6">
<h1>网页控制台尚未构建</h1>
<p>请运行 <code>npm run console:build</code>（<code>npm start</code> 启动时会自动构建），然后刷新本页。</p>
<p>接口文档见 <a href="/docs">/docs</a>。</p>
</body></html>`;

export interface ConsoleOptions {
  /** Where the build is (default dist/console). */
  dir?: string;
}

export default async function consolePlugin(app: FastifyInstance, options: ConsoleOptions): Promise<void> {
  const dir = options.dir ?? CONSOLE_DIR;
  const config = { public: true };
  const schema = { hide: true };
  const built = () => fs.existsSync(path.join(dir, 'index.html'));

  await app.register(fastifyStatic, { root: dir, serve: false, preCompressed: true, index: false });

  const page = (reply: FastifyReply) => {
    reply.header('cache-control', 'no-cache');
    if (!built()) return reply.type('text/html; charset=utf-8').send(NOT_BUILT);
    return reply.sendFile('index.html', dir, { cacheControl: false });
  };
  app.get('/', { config, schema }, (_request, reply) => page(reply));
  app.get('/app', { config, schema }, (_request, reply) => page(reply));
  app.get('/app/*', { config, schema }, (_request, reply) => page(reply));
  app.get<{ Params: { '*': string } }>('/assets/*', { config, schema }, (request, reply) => {
    return reply.sendFile(path.posix.join('assets', request.params['*']), dir, { maxAge: '365d', immutable: true });
  });
}
