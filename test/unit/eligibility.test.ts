import assert from 'node:assert/strict'
import { test } from 'node:test'
import { anonymous, hashToken, type ClientIdentity } from '../../src/access/client-keys.js'
import { validateConfig } from '../../src/config/load.js'
import { upstreamVerdict, type EligibilityFacts } from '../../src/routing/eligibility.js'
import { RouteTable } from '../../src/routing/route-table.js'

// The one judgement of an upstream (issue 15 point 7): the relay's pickCandidates and the admin's dry
// run both call it, so the dry run's "left out, because" is the relay's own.

const table = new RouteTable(
  validateConfig({
    routes: [
      {
        path: '/',
        clientTokens: ['route-token'],
        upstreams: [
          { name: 'open', url: 'http://open', noauth: true },
          { name: 'tokened', url: 'http://tokened' },
          { name: 'mini-only', url: 'http://mini', noauth: true, models: { allow: ['gpt-4o-mini', '/v1/audio/transcriptions'] } },
          { name: 'no-4o', url: 'http://no4o', noauth: true, models: { deny: ['gpt-4o'] } },
          { name: 'chat-only', url: 'http://claude', provider: 'anthropic', noauth: true },
        ],
      },
    ],
  }),
)
const route = table.routes[0]!
const upstream = (name: string) => route.upstreams.find((candidate) => candidate.name === name)!

function facts(overrides: Partial<EligibilityFacts> = {}): EligibilityFacts {
  return { identity: anonymous, tokenHash: undefined, model: 'gpt-4o', pathname: '/v1/chat/completions', endpoint: 'chat', ...overrides }
}

test('an upstream with client tokens takes only those (or a forward key); one without, everyone', () => {
  assert.equal(upstreamVerdict(facts(), upstream('open')), 'eligible')
  assert.equal(upstreamVerdict(facts(), upstream('tokened')), 'token-not-allowed')
  assert.equal(upstreamVerdict(facts({ tokenHash: hashToken('other') }), upstream('tokened')), 'token-not-allowed')
  const client: ClientIdentity = { kind: 'client-token', name: 'token:x' }
  assert.equal(upstreamVerdict(facts({ identity: client, tokenHash: hashToken('route-token') }), upstream('tokened')), 'eligible')
  const forward: ClientIdentity = { kind: 'forward-key', name: 'team', level: 0 }
  assert.equal(upstreamVerdict(facts({ identity: forward, tokenHash: hashToken('fk') }), upstream('tokened')), 'eligible')
})

test('models.allow, then models.deny, by model or by path', () => {
  assert.equal(upstreamVerdict(facts(), upstream('mini-only')), 'model-not-allowed')
  assert.equal(upstreamVerdict(facts({ model: 'gpt-4o-mini' }), upstream('mini-only')), 'eligible')
  assert.equal(upstreamVerdict(facts({ model: undefined, pathname: '/v1/audio/transcriptions', endpoint: 'other' }), upstream('mini-only')), 'eligible')
  assert.equal(upstreamVerdict(facts(), upstream('no-4o')), 'model-denied')
  assert.equal(upstreamVerdict(facts({ model: 'gpt-4o-mini' }), upstream('no-4o')), 'eligible')
})

test('an endpoint the provider does not serve comes last: a token or model refusal is named first', () => {
  const embeddings = facts({ pathname: '/v1/embeddings', endpoint: 'embeddings' })
  assert.equal(upstreamVerdict(embeddings, upstream('chat-only')), 'endpoint-not-served')
  assert.equal(upstreamVerdict(embeddings, upstream('open')), 'eligible')
  assert.equal(upstreamVerdict(facts(), upstream('chat-only')), 'eligible')
})
