import assert from 'node:assert/strict'
import { test } from 'node:test'
import OpenAI from 'openai'
import { request } from 'undici'
import { estimatePromptTokens, loadTokenizer } from '../../src/limits/token-count.js'
import { allFinished, metricValue } from '../helpers/metrics.js'
import { startMock } from '../helpers/mock.js'
import { eventually, startRelay } from '../helpers/relay.js'
import { withinOneWindow } from '../helpers/windows.js'

// Issue 3, points 2 and 3: token quotas (TPM/TPD) reserve an estimate, settle with the real usage,
// ask streams for their usage without the client seeing it, and answer 429 with the -tokens headers.

await loadTokenizer()

const messages = [{ role: 'user', content: 'Say hello to the token counter.' }]
const promptEstimate = estimatePromptTokens({ messages })

interface Answer {
  status: number
  headers: Record<string, string | string[] | undefined>
  text: string
}

async function chat(url: string, body: Record<string, unknown>, headers: Record<string, string> = {}, token = 'client-a'): Promise<Answer> {
  const answer = await request(`${url}/v1/chat/completions`, {
    method: 'POST',
    body: JSON.stringify({ model: 'gpt-4o-mini', messages, ...body }),
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, ...headers },
  })
  return { status: answer.statusCode, headers: answer.headers, text: await answer.body.text() }
}


/** The mock's usage for a prompt of `characters` and its default 3 chunks: ceil(chars/4) + 3. */
const mockUsage = (characters: number) => Math.max(1, Math.ceil(characters / 4)) + 3

function remaining(answer: Answer): number {
  return Number(answer.headers['x-ratelimit-remaining-tokens'])
}

test('a request reserves prompt estimate + max_tokens, then is settled with the upstream usage; the -tokens headers say so', async (t) => {
  await withinOneWindow()
  const mock = await startMock(t)
  const relay = await startRelay(t, { limits: { tokens: [{ limit: '1000/minute' }] }, routes: [{ path: '/', upstreams: [{ url: mock.url }] }] })
  const first = await chat(relay.url, { max_tokens: 100 })
  assert.equal(first.status, 200)
  assert.equal(first.headers['x-ratelimit-limit-tokens'], '1000')
  assert.equal(remaining(first), 1000 - (promptEstimate + 100))
  assert.match(String(first.headers['x-ratelimit-reset-tokens']), /^(\d+m)?[\d.]+s$|^\d+ms$/)
  const used = (JSON.parse(first.text) as { usage: { total_tokens: number } }).usage.total_tokens
  assert.equal(used, mockUsage(messages[0]!.content.length))
  await allFinished(relay.url)
  // The reservation of the first became its real cost; the second reserves its own estimate.
  const second = await chat(relay.url, { max_tokens: 50 })
  assert.equal(remaining(second), 1000 - used - (promptEstimate + 50))
  // Request-rate headers are not added by a token rule.
  assert.equal(second.headers['x-ratelimit-limit-requests'], undefined)
})

test('a stream is asked for its usage upstream; a client that did not ask sees neither the usage chunk nor usage: null', async (t) => {
  await withinOneWindow()
  const mock = await startMock(t)
  const relay = await startRelay(t, { limits: { tokens: [{ limit: '1000/minute' }] }, routes: [{ path: '/', upstreams: [{ url: mock.url }] }] })
  const streamed = await chat(relay.url, { stream: true, max_tokens: 10 })
  assert.equal(streamed.status, 200)
  const upstreamBody = JSON.parse(mock.requests[0]!.body.toString('utf8')) as Record<string, unknown>
  assert.deepEqual(upstreamBody.stream_options, { include_usage: true }, 'the gateway asked the upstream for usage')
  assert.doesNotMatch(streamed.text, /"usage"/, 'no usage chunk and no usage: null reach the client')
  assert.match(streamed.text, /data: \[DONE\]\n\n$/)
  // The client's stream is what the upstream sends to a request without include_usage (ids and times aside).
  const direct = await request(`${mock.url}/v1/chat/completions`, {
    method: 'POST',
    body: JSON.stringify({ model: 'gpt-4o-mini', messages, stream: true, max_tokens: 10 }),
    headers: { 'content-type': 'application/json' },
  })
  const normalise = (text: string) => text.replace(/chatcmpl-mock-\d+/g, 'ID').replace(/"created":\d+/g, '"created":T')
  assert.equal(normalise(streamed.text), normalise(await direct.body.text()))
  await allFinished(relay.url)
  const next = await chat(relay.url, { max_tokens: 10 })
  assert.equal(remaining(next), 1000 - mockUsage(messages[0]!.content.length) - (promptEstimate + 10), 'settled with the usage the upstream reported')

  // A client that asks for usage gets it, as sent.
  const sdk = new OpenAI({ apiKey: 'client-b', baseURL: `${relay.url}/v1`, maxRetries: 0 })
  const stream = await sdk.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }], stream: true, stream_options: { include_usage: true } })
  let usage: unknown
  for await (const chunk of stream) if (chunk.usage) usage = chunk.usage
  assert.deepEqual(usage, { prompt_tokens: 1, completion_tokens: 3, total_tokens: 4 })
})

test('without upstream usage the answer text is counted; upstreams with streamUsage off get the client body unchanged', async (t) => {
  await withinOneWindow()
  const mock = await startMock(t, { behaviour: { usage: false } })
  const relay = await startRelay(t, {
    limits: { tokens: [{ limit: '100000/minute' }] },
    routes: [{ path: '/', upstreams: [{ url: mock.url, streamUsage: false }] }],
  })
  const streamed = await chat(relay.url, { stream: true, max_tokens: 1000 }, { 'x-mock-chunks': '40' })
  assert.equal(streamed.status, 200)
  assert.equal((JSON.parse(mock.requests[0]!.body.toString('utf8')) as Record<string, unknown>).stream_options, undefined)
  let text = ''
  for (const line of streamed.text.split('\n')) {
    if (!line.startsWith('data: {')) continue
    const chunk = JSON.parse(line.slice(6)) as { choices: Array<{ delta: { content?: string } }> }
    text += chunk.choices[0]?.delta.content ?? ''
  }
  assert.ok(text.length > 40, 'the stream carried text')
  await allFinished(relay.url)
  const next = await chat(relay.url, { max_tokens: 1 })
  const counted = 100000 - remaining(next) - (promptEstimate + 1) - promptEstimate
  const { countTextTokens } = await import('../../src/limits/token-count.js')
  assert.equal(counted, countTextTokens(text), 'the streamed text was counted with the tokenizer')
})

test('over a quota: 429 naming it, Retry-After and -tokens headers, no upstream call; a request bigger than the quota is never retried', async (t) => {
  await withinOneWindow()
  const mock = await startMock(t)
  const relay = await startRelay(t, { limits: { tokens: [{ limit: '1000/minute' }] }, routes: [{ path: '/', upstreams: [{ url: mock.url }] }] })
  const statuses: number[] = []
  for (let index = 0; index < 3; index++) {
    statuses.push((await chat(relay.url, { max_tokens: 400 })).status)
    await allFinished(relay.url)
  }
  // Settlement gives back most of each reservation; a big reservation in flight is what fills the quota.
  assert.deepEqual(statuses, [200, 200, 200])
  // The big one holds its reservation at the upstream (which never answers) until the client leaves.
  const leave = new AbortController()
  const held = request(`${relay.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer client-a' },
    body: JSON.stringify({ model: 'gpt-4o-mini', messages, max_tokens: 600, mock: { fault: 'hang' } }),
    signal: leave.signal,
  }).catch(() => undefined)
  await eventually(() => mock.requests.length === 4, 30_000)
  const refused = await chat(relay.url, { max_tokens: 600 })
  leave.abort()
  await held
  assert.equal(refused.status, 429)
  assert.ok(Number(refused.headers['retry-after']) >= 1)
  assert.equal(refused.headers['x-ratelimit-limit-tokens'], '1000')
  const error = (JSON.parse(refused.text) as { error: { code: string; message: string } }).error
  assert.equal(error.code, 'RELAY_ERR_RATE_LIMITED')
  assert.match(error.message, new RegExp(`^Rate limit exceeded: 1000 tokens per 1 minute \\(this request needs about ${promptEstimate + 600}\\)\\.$`))
  assert.equal(mock.requests.length, 4, 'the refused request never reached the upstream')

  const tooLarge = await chat(relay.url, { max_tokens: 5000 })
  assert.equal(tooLarge.status, 429)
  assert.equal(tooLarge.headers['x-should-retry'], 'false')
  assert.match((JSON.parse(tooLarge.text) as { error: { code: string } }).error.code, /RELAY_ERR_REQUEST_TOO_LARGE/)
})

test('50 concurrent requests of 100 tokens on a 1,000-token budget: exactly 10 admitted, the rest never reach the upstream', async (t) => {
  await withinOneWindow()
  const mock = await startMock(t)
  const relay = await startRelay(t, { limits: { tokens: [{ limit: '1000/hour', per: 'global' }] }, routes: [{ path: '/', upstreams: [{ url: mock.url }] }] })
  // The admitted requests hang at the upstream until the client leaves, so no settlement gives tokens
  // back while the 50 are decided, however slowly a busy machine decides them.
  const leave = new AbortController()
  const body = JSON.stringify({ model: 'gpt-4o-mini', messages, max_tokens: 100 - promptEstimate, mock: { fault: 'hang' } })
  const statuses: number[] = []
  const sent = Array.from({ length: 50 }, (_, index) =>
    request(`${relay.url}/v1/chat/completions`, { method: 'POST', body, headers: { 'content-type': 'application/json', authorization: `Bearer client-${index}` }, signal: leave.signal }).then(
      async (answer) => {
        statuses.push(answer.statusCode)
        await answer.body.dump()
      },
      () => undefined,
    ),
  )
  await eventually(() => statuses.length === 40 && mock.requests.length === 10, 30_000)
  assert.ok(statuses.every((status) => status === 429), `the refused get 429 (${statuses.join(' ')})`)
  assert.equal(await metricValue(relay.url, 'llm_relay_rate_limited_total', { kind: 'tokens' }), 40)
  assert.equal(mock.requests.length, 10, 'exactly 10 admitted reached the upstream')
  leave.abort()
  await Promise.all(sent)
})

test('a failed request gives its whole reservation back; requests without a JSON body are not counted', async (t) => {
  await withinOneWindow()
  const mock = await startMock(t)
  const relay = await startRelay(t, { limits: { tokens: [{ limit: '1000/minute' }] }, routes: [{ path: '/', upstreams: [{ url: mock.url }] }] })
  const failed = await chat(relay.url, { max_tokens: 500 }, { 'x-mock-status': '500' })
  assert.equal(failed.status, 502)
  await allFinished(relay.url)
  const next = await chat(relay.url, { max_tokens: 100 })
  assert.equal(remaining(next), 1000 - (promptEstimate + 100), 'nothing of the failed request is counted')
  const models = await request(`${relay.url}/v1/models`, { headers: { authorization: 'Bearer client-a' } })
  assert.equal(models.statusCode, 200)
  assert.equal(models.headers['x-ratelimit-limit-tokens'], undefined)
  await models.body.dump()
})
