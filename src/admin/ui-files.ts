import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import fastifyStatic from '@fastify/static'
import type { FastifyInstance } from 'fastify'

/** Where `npm run build` puts the UI (ui/build.ts): two folders up from this file, in src/ and in dist/ alike. */
export const uiFolder = fileURLToPath(new URL('../../dist/ui/', import.meta.url))

/**
 * Content-Security-Policy of every admin answer: the UI loads nothing from another origin (it works
 * offline) and runs no inline script, so a script injected into a page has nowhere to come from.
 */
export const contentSecurityPolicy = "default-src 'self'; base-uri 'none'; object-src 'none'; frame-ancestors 'none'; form-action 'self'"

/**
 * Serves the single-page UI at `/` of the admin listener: index.html always revalidated, the
 * content-hashed scripts and styles under /assets/ cached for good, .gz siblings when asked for.
 */
export async function uiFiles(app: FastifyInstance): Promise<void> {
  if (!existsSync(`${uiFolder}index.html`)) {
    app.get('/', async (_request, reply) =>
      reply.type('text/plain; charset=utf-8').send('The admin UI is not built: run `npm run build` (the admin API at /admin/api/ works without it).\n'),
    )
    return
  }
  await app.register(fastifyStatic, {
    root: uiFolder,
    prefix: '/',
    index: ['index.html'],
    preCompressed: true,
    cacheControl: false,
    setHeaders: (reply, path) => {
      void reply.header('cache-control', path.includes('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache')
    },
  })
}
