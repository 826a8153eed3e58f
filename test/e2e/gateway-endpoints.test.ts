import assert from 'node:assert/strict'
import { test } from 'node:test'
import { request } from 'undici'
import { startMock } from '../helpers/mock.js'
import { startRelay } from '../helpers/relay.js'

test('the gateway answers /healthz and /readyz itself; a wrong method there gets an OpenAI-style 404', async (t) => {
  const mock = await startMock(t)
  const relay = await startRelay(t, { routes: [{ path: '/', upstreams: [{ url: mock.url }] }] })
  const health = await request(`${relay.url}/healthz`)
  assert.equal(health.statusCode, 200)
  assert.equal(await health.body.text(), 'ok')
  const ready = await request(`${relay.url}/readyz?verbose=1`)
  assert.equal(ready.statusCode, 200)
  assert.deepEqual(await ready.body.json(), { ready: true, config: 'loaded', routes: 1 })
  const wrongMethod = await request(`${relay.url}/healthz`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } })
  assert.equal(wrongMethod.statusCode, 404)
  assert.ok(wrongMethod.headers['x-relay-request-id'])
  assert.equal(wrongMethod.headers['access-control-allow-origin'], '*')
  const body = (await wrongMethod.body.json()) as { error: { code: string; type: string } }
  assert.equal(body.error.code, 'RELAY_ERR_NO_ROUTE')
  assert.equal(body.error.type, 'invalid_request_error')
  assert.equal(mock.requests.length, 0, 'gateway endpoints never reach an upstream')
})
