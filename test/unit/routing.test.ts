import assert from 'node:assert/strict'
import { test } from 'node:test'
import { validateConfig } from '../../src/config/load.js'
import { judgeStatus, parseRetryAfter } from '../../src/routing/failover.js'
import { HealthBook } from '../../src/routing/health.js'
import { KeyRing } from '../../src/routing/key-ring.js'
import { RouteTable } from '../../src/routing/route-table.js'
import { orderCandidates } from '../../src/routing/strategies.js'

const upstream = (url: string, extra: Record<string, unknown> = {}) => ({ url, ...extra })

test('routes match by longest prefix on whole segments', () => {
  const config = validateConfig({
    routes: [
      { path: '/', upstreams: [upstream('http://root')] },
      { path: '/gemini', type: 'general', upstreams: [upstream('http://gemini')] },
      { path: '/gemini/v2/', upstreams: [upstream('http://gemini-v2')] },
    ],
  })
  const table = new RouteTable(config)
  assert.equal(table.match('/gemini/v1/models?key=1')?.route.path, '/gemini')
  assert.equal(table.match('/gemini/v1/models?key=1')?.rest, '/v1/models?key=1')
  assert.equal(table.match('/gemini')?.rest, '')
  assert.equal(table.match('/geminiX/v1')?.route.path, '/')
  assert.equal(table.match('/geminiX/v1')?.rest, '/geminiX/v1')
  assert.equal(table.match('/gemini/v2/chat')?.route.path, '/gemini/v2')
  assert.equal(table.match('/gemini/v2x')?.route.path, '/gemini')
})

test('without a root route an unmatched path has no route', () => {
  const table = new RouteTable(validateConfig({ routes: [{ path: '/v1', upstreams: [upstream('http://a/v1')] }] }))
  assert.equal(table.match('/v2/models'), undefined)
  assert.equal(table.match('/v1/models')?.route.upstreams[0]?.basePath, '/v1')
})

test('upstreams inherit timeouts and tokens from route, then global', () => {
  const config = validateConfig({
    timeouts: { timeout: 50, streamTimeout: 5 },
    access: { clientTokens: ['global-token'] },
    routes: [{ path: '/', streamTimeout: '2s', clientTokens: ['route-token'], upstreams: [upstream('http://a', { timeout: '700ms' }), upstream('http://b', { clientTokens: ['own'] })] }],
  })
  const [a, b] = new RouteTable(config).routes[0]!.upstreams
  assert.deepEqual(a!.timeouts, { headers: 700, streamHeaders: 2000, idle: 120_000 })
  assert.equal(a!.tokenHashes.size, 1)
  assert.equal(b!.tokenHashes.size, 1)
  assert.notDeepEqual([...a!.tokenHashes], [...b!.tokenHashes])
  assert.equal(a!.auth, 'auto')
})

test('the failover table: which statuses move on', () => {
  assert.equal(judgeStatus(200, true), 'relay')
  assert.equal(judgeStatus(400, true), 'relay')
  assert.equal(judgeStatus(404, true), 'relay')
  assert.equal(judgeStatus(422, true), 'relay')
  assert.equal(judgeStatus(429, false), 'next-key')
  assert.equal(judgeStatus(401, true), 'next-key')
  assert.equal(judgeStatus(403, true), 'next-key')
  assert.equal(judgeStatus(401, false), 'relay')
  assert.equal(judgeStatus(500, false), 'next-upstream')
  assert.equal(judgeStatus(503, true), 'next-upstream')
})

test('Retry-After in seconds and as an HTTP date', () => {
  assert.equal(parseRetryAfter('2'), 2000)
  assert.equal(parseRetryAfter(['0.5']), 500)
  const now = Date.parse('2026-01-01T00:00:00Z')
  assert.equal(parseRetryAfter('Thu, 01 Jan 2026 00:00:03 GMT', now), 3000)
  assert.equal(parseRetryAfter('soon'), undefined)
  assert.equal(parseRetryAfter(undefined), undefined)
})

test('key ring: round-robin, a resting key is skipped, all resting → the one resting shortest', () => {
  const ring = new KeyRing(['k0', 'k1', 'k2'])
  assert.deepEqual([ring.take(0), ring.take(0), ring.take(0), ring.take(0)], [0, 1, 2, 0])
  ring.rest(1, 1000)
  assert.deepEqual([ring.take(0), ring.take(0), ring.take(0)], [2, 0, 2])
  ring.rest(0, 3000)
  ring.rest(2, 2000)
  assert.equal(ring.take(0), 1)
  assert.equal(ring.keyAt(1), 'k1')
})

test('health: cooldown after N failures, doubling, cleared by success; Retry-After at once', () => {
  const health = new HealthBook({ failures: 2, duration: 100, maxDuration: 300 })
  const events: string[] = []
  health.on('cooldown', (id) => events.push(`cooldown ${id}`))
  health.on('recovered', (id) => events.push(`recovered ${id}`))
  health.failed('a', 'x', undefined, 0)
  assert.equal(health.isCooling('a', 1), false)
  health.failed('a', 'x', undefined, 0)
  assert.equal(health.get('a').coolingUntil, 100)
  health.failed('a', 'x', undefined, 100)
  assert.equal(health.get('a').coolingUntil, 300)
  health.failed('a', 'x', undefined, 300)
  assert.equal(health.get('a').coolingUntil, 600)
  health.succeeded('a')
  assert.equal(health.isCooling('a', 301), false)
  health.failed('b', '429', 5000, 0)
  assert.equal(health.get('b').coolingUntil, 300)
  assert.deepEqual(events, ['cooldown a', 'cooldown a', 'cooldown a', 'recovered a', 'cooldown b'])
})

test('candidate order: strategies, cooling upstreams last', () => {
  const config = validateConfig({
    routes: [{ path: '/', upstreams: [upstream('http://a', { name: 'a', weight: 1 }), upstream('http://b', { name: 'b', weight: 50 }), upstream('http://c', { name: 'c' })] }],
  })
  const upstreams = new RouteTable(config).routes[0]!.upstreams
  const health = new HealthBook({ failures: 1, duration: 1000, maxDuration: 1000 })
  const names = (list: readonly { name: string }[]) => list.map((item) => item.name)
  assert.deepEqual(names(orderCandidates([...upstreams], 'ordered', health)), ['a', 'b', 'c'])
  health.failed(upstreams[0]!.id, 'x')
  assert.deepEqual(names(orderCandidates([...upstreams], 'ordered', health)), ['b', 'c', 'a'])
  health.succeeded(upstreams[0]!.id)
  health.get(upstreams[0]!.id).inflight = 5
  health.get(upstreams[1]!.id).inflight = 2
  assert.deepEqual(names(orderCandidates([...upstreams], 'least-inflight', health)), ['c', 'b', 'a'])
  health.get(upstreams[0]!.id).inflight = 0
  health.get(upstreams[1]!.id).inflight = 0
  let bFirst = 0
  for (let round = 0; round < 200; round++) if (orderCandidates([...upstreams], 'weighted', health)[0]!.name === 'b') bFirst++
  assert.ok(bFirst > 150, `weight 50 of 52 should come first most of the time (got ${bFirst}/200)`)
  const seen = new Set<string>()
  for (let round = 0; round < 50; round++) seen.add(orderCandidates([...upstreams], 'random', health)[0]!.name)
  assert.equal(seen.size, 3)
})
