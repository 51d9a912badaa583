import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import auth from '../../api/plugins/auth';
import errors from '../../api/plugins/errors';
import idempotency from '../../api/plugins/idempotency';
import storableText from '../../api/plugins/storable-text';

const meta = (plugin: unknown) => (plugin as Record<symbol, { name?: string; dependencies?: string[] }>)[Symbol.for('plugin-meta')];

describe('the API plugins are named fastify-plugins that declare what they need', () => {
  it('names each plugin and its dependencies', () => {
    expect(meta(errors)).toMatchObject({ name: 'errors' });
    expect(meta(storableText)).toMatchObject({ name: 'storable-text', dependencies: ['errors'] });
    expect(meta(auth)).toMatchObject({ name: 'auth', dependencies: ['errors', '@fastify/cookie'] });
    expect(meta(idempotency)).toMatchObject({ name: 'idempotency', dependencies: ['errors', 'auth'] });
  });

  it('refuses to register idempotency without auth (it keys by the authenticated user)', async () => {
    const app = Fastify();
    app.decorate('deps', {} as never);
    await app.register(errors);
    await expect(app.register(idempotency).ready()).rejects.toThrow(/auth/);
    await app.close().catch(() => undefined);
  });

  it('refuses to register auth before the errors plugin that answers its refusals', async () => {
    const app = Fastify();
    app.decorate('deps', {} as never);
    await expect(app.register(auth).ready()).rejects.toThrow(/errors/);
    await app.close().catch(() => undefined);
  });
});
