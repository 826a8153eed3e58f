import assert from 'node:assert/strict'
import { test, type TestContext } from 'node:test'
import OpenAI, { toFile } from 'openai'
import { request } from 'undici'
import type { ConfigInput } from '../../src/config/schema.js'
import { startMock } from '../helpers/mock.js'
import { startRelay } from '../helpers/relay.js'

// Issue 2, point 7 (filter): per-upstream model allow then deny lists, multipart model fields, URL path entries.

function sdk(baseURL: string): OpenAI {
  return new OpenAI({ apiKey: 'client-key', baseURL, maxRetries: 0 })
}

function chat(client: OpenAI, model: string) {
  return client.chat.completions.create({ model, messages: [{ role: 'user', content: 'hi' }] })
}

const audio = () => toFile(Buffer.alloc(3000, 7), 'speech.wav', { type: 'audio/wav' })

type UpstreamInput = ConfigInput['routes'][number]['upstreams'][number]

/** Two mock upstreams, in this order, behind one route `/`; `first` and `second` add their name and model filter. */
async function twoUpstreams(t: TestContext, first: Omit<UpstreamInput, 'url'>, second: Omit<UpstreamInput, 'url'>) {
  const mocks = await Promise.all([startMock(t), startMock(t)])
  const relay = await startRelay(t, { routes: [{ path: '/', upstreams: [{ ...first, url: mocks[0].url }, { ...second, url: mocks[1].url }] }] })
  return { mocks, relay, client: sdk(`${relay.url}/v1`) }
}

test('allow then deny: an upstream that may not serve the model is skipped without a request', async (t) => {
  const { mocks: [picky, fallback], client } = await twoUpstreams(
    t,
    { name: 'picky', models: { allow: ['gpt-4o-mini', 'gpt-4o'], deny: ['gpt-4o'] } },
    { name: 'fallback' },
  )

  // Allowed and not denied: the first upstream serves it.
  assert.equal((await chat(client, 'gpt-4o-mini')).model, 'gpt-4o-mini')
  assert.equal(picky.requests.length, 1)
  assert.equal(fallback.requests.length, 0)

  // Not in allow: skipped, the next upstream gets it.
  assert.equal((await chat(client, 'o3-mini')).model, 'o3-mini')
  // In allow and in deny: deny wins.
  assert.equal((await chat(client, 'gpt-4o')).model, 'gpt-4o')
  assert.equal(picky.requests.length, 1, 'the picky upstream must not have been asked')
  assert.deepEqual(
    fallback.requests.map((entry) => (JSON.parse(entry.body.toString('utf8')) as { model: string }).model),
    ['o3-mini', 'gpt-4o'],
  )
})

test('deny alone skips an upstream for the denied models only', async (t) => {
  const { mocks: [first, second], client } = await twoUpstreams(t, { models: { deny: ['gpt-4o'] } }, {})
  await chat(client, 'gpt-4o')
  await chat(client, 'gpt-4o-mini')
  assert.equal(first.requests.length, 1)
  assert.equal(second.requests.length, 1)
  assert.match(second.requests[0]!.body.toString('utf8'), /"model":"gpt-4o"/)
})

test('a model no candidate serves → 404 RELAY_ERR_MODEL_NOT_SERVED naming it, without any upstream request', async (t) => {
  const { mocks: [first, second], relay, client } = await twoUpstreams(t, { models: { allow: ['gpt-4o-mini'] } }, { models: { deny: ['claude-3-opus'] } })
  let caught: unknown
  try {
    await chat(client, 'claude-3-opus')
  } catch (error) {
    caught = error
  }
  assert.ok(caught instanceof OpenAI.NotFoundError, `expected NotFoundError, got ${String(caught)}`)
  assert.equal(caught.status, 404)
  assert.equal(caught.code, 'RELAY_ERR_MODEL_NOT_SERVED')
  assert.equal(caught.param, 'model')
  assert.match(caught.message, /'claude-3-opus'/)
  assert.equal(first.requests.length + second.requests.length, 0)

  // The same answer for a streaming request: nothing has been sent, so it is a plain JSON error.
  const raw = await request(`${relay.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'claude-3-opus', stream: true, messages: [] }),
  })
  assert.equal(raw.statusCode, 404)
  assert.match(String(raw.headers['content-type']), /application\/json/)
  const body = (await raw.body.json()) as { error: { code: string; type: string; message: string } }
  assert.equal(body.error.code, 'RELAY_ERR_MODEL_NOT_SERVED')
  assert.equal(body.error.type, 'invalid_request_error')
  assert.equal(first.requests.length + second.requests.length, 0)
})

test('multipart audio: the form field `model` is filtered like a JSON model', async (t) => {
  const { mocks: [speech, general], client } = await twoUpstreams(
    t,
    { name: 'speech', models: { allow: ['whisper-1'] } },
    { name: 'general', models: { deny: ['whisper-1', 'whisper-large'] } },
  )
  const first = await client.audio.transcriptions.create({ file: await audio(), model: 'whisper-1' })
  assert.equal(first.text, 'transcribed 3000 bytes with whisper-1')
  assert.equal(speech.requests.length, 1)
  assert.equal(general.requests.length, 0)

  // Not allowed on speech, so general gets it; the upload arrives whole.
  const second = await client.audio.transcriptions.create({ file: await audio(), model: 'whisper-2' })
  assert.equal(second.text, 'transcribed 3000 bytes with whisper-2')
  assert.equal(speech.requests.length, 1)
  assert.equal(general.requests.length, 1)
  assert.match(String(general.requests[0]!.headers['content-type']), /^multipart\/form-data; boundary=/)

  // Denied on general and not allowed on speech: nobody serves it.
  let caught: unknown
  try {
    await client.audio.transcriptions.create({ file: await audio(), model: 'whisper-large' })
  } catch (error) {
    caught = error
  }
  assert.ok(caught instanceof OpenAI.NotFoundError)
  assert.equal(caught.code, 'RELAY_ERR_MODEL_NOT_SERVED')
  assert.match(caught.message, /'whisper-large'/)
  assert.equal(speech.requests.length + general.requests.length, 2)
})

test('an allow entry naming the URL path /v1/audio/transcriptions also matches', async (t) => {
  const { mocks: [chatOnly, audioByPath], client } = await twoUpstreams(
    t,
    { name: 'chat-only', models: { allow: ['gpt-4o-mini'] } },
    { name: 'audio', models: { allow: ['/v1/audio/transcriptions'] } },
  )
  const answer = await client.audio.transcriptions.create({ file: await audio(), model: 'any-whisper' })
  assert.equal(answer.text, 'transcribed 3000 bytes with any-whisper')
  assert.equal(chatOnly.requests.length, 0)
  assert.equal(audioByPath.requests.length, 1)
  assert.equal(audioByPath.requests[0]!.url, '/v1/audio/transcriptions')

  // The path entry does not open the audio upstream to chat models.
  await chat(client, 'gpt-4o-mini')
  await assert.rejects(chat(client, 'gpt-4o'), (error: unknown) => error instanceof OpenAI.NotFoundError && error.code === 'RELAY_ERR_MODEL_NOT_SERVED')
  assert.equal(chatOnly.requests.length, 1)
  assert.equal(audioByPath.requests.length, 1)
})
