import assert from 'node:assert/strict'
import { test } from 'node:test'
import OpenAI from 'openai'
import { startMock } from '../helpers/mock.js'
import { startRelay } from '../helpers/relay.js'

test('the OpenAI SDK talks to the mock through the gateway', async (t) => {
  const mock = await startMock(t)
  const relay = await startRelay(t, { routes: [{ path: '/', upstreams: [{ url: mock.url, keys: ['sk-upstream-1'] }] }] })
  const client = new OpenAI({ apiKey: 'client', baseURL: `${relay.url}/v1`, maxRetries: 0 })
  const answer = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] })
  assert.equal(answer.object, 'chat.completion')
  assert.equal(mock.requests[0]?.headers.authorization, 'Bearer sk-upstream-1')
  const stream = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }], stream: true })
  let text = ''
  for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? ''
  assert.ok(text.length > 0)
})
