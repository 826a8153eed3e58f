import assert from 'node:assert/strict'
import { test } from 'node:test'
import { cacheKeyOf, type CacheKeyFacts } from '../../src/cache/cache-key.js'
import { decodeEntry, encodeEntry } from '../../src/cache/entry.js'
import type { RouteCache } from '../../src/cache/route-cache.js'
import { endpointOf } from '../../src/routing/endpoint.js'

const rule: RouteCache = { mode: 'always', scope: 'client', ttlMs: 1000, paths: undefined }

/** Only the fields the key reads. */
function context(json: Record<string, unknown> | undefined, options: { client?: string; type?: 'openai' | 'general'; rest?: string; body?: Buffer } = {}): CacheKeyFacts {
  const rest = options.rest ?? '/v1/chat/completions'
  return {
    route: { type: options.type ?? 'openai', path: '/' },
    json,
    method: 'POST',
    rest,
    identity: { kind: 'client-token', name: options.client ?? 'a' },
    tokenHash: undefined,
    clientIp: '127.0.0.1',
    body: options.body ?? Buffer.from(JSON.stringify(json ?? {})),
    endpoint: (options.type ?? 'openai') === 'openai' ? endpointOf(rest.split('?')[0]!) : 'other',
  }
}

const key = (ctx: CacheKeyFacts, scope: RouteCache['scope'] = 'client') => cacheKeyOf(ctx, { ...rule, scope }).key

test('the key ignores JSON key order and the fields that do not decide the answer, and a chat request ignores stream', () => {
  const messages = [{ role: 'user', content: 'hi', name: 'x' }]
  const base = key(context({ model: 'm', messages, temperature: 0 }))
  assert.match(base, /^chat:[0-9a-f]{64}$/)
  assert.equal(key(context({ temperature: 0, messages: [{ name: 'x', content: 'hi', role: 'user' }], model: 'm' })), base)
  assert.equal(key(context({ model: 'm', messages, temperature: 0, stream: true, stream_options: { include_usage: true }, user: 'u', metadata: { a: 1 }, caching: true })), base)
  for (const changed of [{ temperature: 1 }, { seed: 1 }, { tools: [] }, { max_tokens: 5 }, { n: 2 }, { model: 'other' }, { some_new_field: true }]) {
    assert.notEqual(key(context({ model: 'm', messages, temperature: 0, ...changed })), base, JSON.stringify(changed))
  }
})

test('the key is per client unless shared, per path and query, and other endpoints keep stream apart', () => {
  const body = { model: 'e', input: 'x' }
  assert.notEqual(key(context(body, { client: 'a' })), key(context(body, { client: 'b' })))
  assert.equal(key(context(body, { client: 'a' }), 'shared'), key(context(body, { client: 'b' }), 'shared'))
  const embed = key(context(body, { rest: '/v1/embeddings' }))
  assert.match(embed, /^raw:/)
  assert.notEqual(embed, key(context(body, { rest: '/v1/embeddings?x=1' })))
  const completion = { model: 'm', prompt: 'p' }
  assert.notEqual(key(context(completion, { rest: '/v1/completions' })), key(context({ ...completion, stream: true }, { rest: '/v1/completions' })))
  // General routes key the body bytes as they are: another byte is another entry.
  const raw = (text: string) => key(context(undefined, { type: 'general', body: Buffer.from(text) }))
  assert.equal(raw('{"a":1}'), raw('{"a":1}'))
  assert.notEqual(raw('{"a":1}'), raw('{"a": 1}'))
})

test('entries round-trip, raw bodies byte for byte; unreadable bytes are a miss', () => {
  const body = Buffer.from([0, 10, 255, 13, 10])
  const raw = decodeEntry(encodeEntry({ kind: 'raw', status: 200, contentType: 'application/octet-stream', body }))
  assert.deepEqual(raw, { kind: 'raw', status: 200, contentType: 'application/octet-stream', body })
  const completion = { id: 'c', created: 1, model: 'm', system_fingerprint: null, choices: [{ index: 0, message: { role: 'assistant', content: 'a\nb' }, finish_reason: 'stop' }], usage: null }
  assert.deepEqual(decodeEntry(encodeEntry({ kind: 'chat', completion })), { kind: 'chat', completion })
  assert.equal(decodeEntry(Buffer.from('not json\n')), undefined)
  assert.equal(decodeEntry(Buffer.from('{"v":2,"kind":"chat"}\n')), undefined)
  assert.equal(decodeEntry(Buffer.from('')), undefined)
})
