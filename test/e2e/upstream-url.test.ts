import assert from 'node:assert/strict'
import { test } from 'node:test'
import { request } from 'undici'
import { startMock } from '../helpers/mock.js'
import { startRelay } from '../helpers/relay.js'

test("an upstream URL's own query (e.g. api-version) is sent first, then the client's", async (t) => {
  const mock = await startMock(t)
  const relay = await startRelay(t, {
    routes: [{ path: '/azure', type: 'general', upstreams: [{ name: 'azure-like', url: `${mock.url}/echo/deployments/d1?api-version=2024-10-21` }] }],
  })
  const withQuery = await request(`${relay.url}/azure/chat?stream=1&x=y`, { method: 'POST', body: 'hi', headers: { 'content-type': 'text/plain' } })
  assert.equal(withQuery.statusCode, 200)
  assert.equal(await withQuery.body.text(), 'hi')
  const withoutQuery = await request(`${relay.url}/azure/chat`, { method: 'POST', body: 'ho', headers: { 'content-type': 'text/plain' } })
  await withoutQuery.body.text()
  assert.deepEqual(
    mock.requests.map((received) => received.url),
    ['/echo/deployments/d1/chat?api-version=2024-10-21&stream=1&x=y', '/echo/deployments/d1/chat?api-version=2024-10-21'],
  )
})
