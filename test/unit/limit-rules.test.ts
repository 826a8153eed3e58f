import assert from 'node:assert/strict'
import { test } from 'node:test'
import { LimitRules, type LimitFacts } from '../../src/limits/limit-rules.js'

/** Only the fields rule matching and the scopes read. */
function request(fields: { tokenHash?: string; clientIp?: string; pathname?: string; model?: string } = {}): LimitFacts {
  return {
    pathname: fields.pathname ?? '/v1/chat/completions',
    route: { path: '/' },
    identity: { kind: 'anonymous', name: 'anonymous' },
    tokenHash: fields.tokenHash,
    clientIp: fields.clientIp ?? '127.0.0.1',
    model: fields.model ?? 'gpt-4o-mini',
  }
}

test('one rule: a counter key per scope and limit, the same windows again for the same scope', () => {
  const rules = new LimitRules('rq', [{ limit: '10/minute;100/hour', per: 'ip' }])
  const first = rules.windowsFor(request({ clientIp: '10.0.0.1' }))
  assert.deepEqual(first.windows, [
    { key: 'rq|ip|*|*|*|10/60000|ip:10.0.0.1', limit: 10, windowMs: 60_000 },
    { key: 'rq|ip|*|*|*|100/3600000|ip:10.0.0.1', limit: 100, windowMs: 3_600_000 },
  ])
  assert.deepEqual(
    first.limits.map((limit) => limit.text),
    ['10 per 1 minute', '100 per 1 hour'],
  )
  // The scope's windows are kept: a second request of the scope builds no new key.
  assert.equal(rules.windowsFor(request({ clientIp: '10.0.0.1' })), first)
  const other = rules.windowsFor(request({ clientIp: '10.0.0.2' }))
  assert.deepEqual(
    other.windows.map((window) => window.key),
    ['rq|ip|*|*|*|10/60000|ip:10.0.0.2', 'rq|ip|*|*|*|100/3600000|ip:10.0.0.2'],
  )
})

test('several matching rules: every window of each, in rule order, each with its own scope', () => {
  const rules = new LimitRules('rq', [
    { limit: '1000/minute', per: 'global' },
    { limit: '5/minute', per: 'model', model: 'gpt-4o-mini' },
    { limit: '7/minute', per: 'route', route: '/other' },
    { limit: '3/second', per: 'client' },
  ])
  const matched = rules.windowsFor(request({ tokenHash: 'abcdefghijklmnopqrstuvwxyz' }))
  assert.deepEqual(
    matched.windows.map((window) => [window.key, window.limit]),
    [
      ['rq|global|*|*|*|1000/60000|all', 1000],
      ['rq|model|*|*|gpt-4o-mini|5/60000|model:gpt-4o-mini', 5],
      ['rq|client|*|*|*|3/1000|unknown-token:abcdefghijklmnop', 3],
    ],
  )
  assert.deepEqual(
    matched.limits.map((limit) => limit.amount),
    [1000, 5, 3],
  )
  // Joining the other rules' windows left the first rule's kept windows as they were.
  const again = rules.windowsFor(request({ tokenHash: 'abcdefghijklmnopqrstuvwxyz' }))
  assert.deepEqual(again.windows, matched.windows)
  assert.deepEqual(
    rules.windowsFor(request({ tokenHash: 'abcdefghijklmnopqrstuvwxyz', model: 'other' })).windows.map((window) => window.key),
    ['rq|global|*|*|*|1000/60000|all', 'rq|client|*|*|*|3/1000|unknown-token:abcdefghijklmnop'],
  )
})

test('no rule matches: none, or the per-client fallback (global_rate_limit)', () => {
  const routeOnly = new LimitRules('rq', [{ limit: '1/minute', per: 'global', route: '/other' }])
  assert.deepEqual(routeOnly.windowsFor(request()).windows, [])
  const withFallback = new LimitRules('tk', [{ limit: '1/minute', per: 'global', route: '/other' }], '50/minute')
  assert.deepEqual(
    withFallback.windowsFor(request()).windows.map((window) => window.key),
    ['tk|fallback|client|*|*|*|50/60000|ip:127.0.0.1'],
  )
})

test('past the scopes a rule remembers, every scope still gets its own keys', () => {
  const rules = new LimitRules('rq', [{ limit: '10/minute', per: 'ip' }])
  // More addresses than the memo holds (10,000), then the first ones again.
  for (let index = 0; index < 10_050; index++) {
    const ip = `10.${(index >> 16) & 255}.${(index >> 8) & 255}.${index & 255}`
    assert.equal(rules.windowsFor(request({ clientIp: ip })).windows[0]!.key, `rq|ip|*|*|*|10/60000|ip:${ip}`)
  }
  assert.equal(rules.windowsFor(request({ clientIp: '10.0.0.0' })).windows[0]!.key, 'rq|ip|*|*|*|10/60000|ip:10.0.0.0')
})
