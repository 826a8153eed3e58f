import assert from 'node:assert/strict'
import { test } from 'node:test'
import OpenAI from 'openai'
import { request } from 'undici'
import { startMock } from '../helpers/mock.js'
import { startRelay } from '../helpers/relay.js'

// Issue 5, point 4: the Prometheus text after known traffic, parsed and checked sample by sample.

/** Every sample of the exposition, as `name{labels}` → value (labels as the gateway writes them, in order). */
async function scrape(url: string, headers: Record<string, string> = {}): Promise<Map<string, number>> {
  const answer = await request(`${url}/metrics`, { headers })
  assert.equal(answer.statusCode, 200)
  assert.match(String(answer.headers['content-type']), /^text\/plain/)
  const samples = new Map<string, number>()
  for (const line of (await answer.body.text()).split('\n')) {
    if (line === '' || line.startsWith('#')) continue
    const at = line.lastIndexOf(' ')
    samples.set(line.slice(0, at), Number(line.slice(at + 1)))
  }
  return samples
}

function sum(samples: Map<string, number>, prefix: string, filter = ''): number {
  let total = 0
  for (const [key, value] of samples) if (key.startsWith(prefix) && key.includes(filter)) total += value
  return total
}

test('after known traffic the metrics count requests, durations, attempts, failures, health, tokens and in-flight work', async (t) => {
  const [broken, healthy] = await Promise.all([startMock(t, { behaviour: { status: 500 } }), startMock(t)])
  const relay = await startRelay(t, {
    failover: { cooldown: { failures: 2 } },
    routes: [
      { path: '/solo', upstreams: [{ name: 'broken-only', url: broken.url }] },
      { path: '/', upstreams: [{ name: 'broken', url: broken.url }, { name: 'healthy', url: healthy.url }] },
    ],
  }, { failOnErrorLogs: false })
  const client = new OpenAI({ apiKey: 'k', baseURL: `${relay.url}/v1`, maxRetries: 0 })
  const messages = [{ role: 'user' as const, content: 'count me' }]
  let prompt = 0
  let completion = 0
  for (let index = 0; index < 3; index++) {
    const answer = await client.chat.completions.create({ model: 'gpt-4o-mini', messages })
    prompt += answer.usage!.prompt_tokens
    completion += answer.usage!.completion_tokens
  }
  const stream = await client.chat.completions.create({ model: 'gpt-4o', messages, stream: true, stream_options: { include_usage: true } })
  for await (const chunk of stream) {
    if (chunk.usage) {
      prompt += chunk.usage.prompt_tokens
      completion += chunk.usage.completion_tokens
    }
  }
  await assert.rejects(new OpenAI({ apiKey: 'k', baseURL: `${relay.url}/solo/v1`, maxRetries: 0 }).chat.completions.create({ model: 'gpt-4o-mini', messages }))
  await relay.quiet()

  const samples = await scrape(relay.url)
  // broken failed twice (then cooled down and came last), so 3 + 1 answers came from healthy.
  assert.equal(samples.get('llm_relay_requests_total{route="/",upstream="healthy",model="gpt-4o-mini",status="200"}'), 3)
  assert.equal(samples.get('llm_relay_requests_total{route="/",upstream="healthy",model="gpt-4o",status="200"}'), 1)
  assert.equal(samples.get('llm_relay_requests_total{route="/solo",upstream="none",model="gpt-4o-mini",status="502"}'), 1)
  assert.equal(samples.get('llm_relay_request_duration_seconds_count{route="/"}'), 4)
  assert.equal(samples.get('llm_relay_request_duration_seconds_count{route="/solo"}'), 1)
  assert.equal(samples.get('llm_relay_time_to_first_byte_seconds_count{route="/"}'), 4)
  assert.equal(samples.get('llm_relay_gateway_overhead_seconds_count'), 5)
  assert.ok((samples.get('llm_relay_gateway_overhead_seconds_sum') ?? 1) < 0.5, 'the gateway’s own time is small')
  assert.equal(samples.get('llm_relay_upstream_attempts_total{upstream="healthy"}'), 4)
  assert.equal(samples.get('llm_relay_upstream_failures_total{upstream="broken",reason="500"}'), 2)
  assert.equal(samples.get('llm_relay_upstream_failures_total{upstream="broken-only",reason="500"}'), 1)
  assert.equal(samples.get('llm_relay_upstream_cooldowns_total{upstream="broken"}'), 1)
  assert.equal(samples.get('llm_relay_upstream_up{upstream="broken"}'), 0)
  assert.equal(samples.get('llm_relay_upstream_up{upstream="healthy"}'), 1)
  assert.equal(sum(samples, 'llm_relay_tokens_total', 'kind="prompt"'), prompt)
  assert.equal(sum(samples, 'llm_relay_tokens_total', 'kind="completion"'), completion)
  assert.equal(samples.get('llm_relay_requests_in_flight'), 0)
  assert.equal(samples.get('llm_relay_streams_in_flight'), 0)
  assert.equal(samples.get('llm_relay_records_dropped'), 0)
  assert.ok((samples.get('llm_relay_process_cpu_user_seconds_total') ?? 0) > 0, 'process metrics')
  for (const key of samples.keys()) assert.match(key, /^llm_relay_/, 'one prefix for every metric')

  // While a slow stream runs it is counted in flight.
  const slow = await request(`${relay.url}/v1/chat/completions`, {
    method: 'POST',
    body: JSON.stringify({ model: 'gpt-4o-mini', messages, stream: true }),
    headers: { 'content-type': 'application/json', 'x-mock-chunks': '10', 'x-mock-chunk-delay-ms': '100' },
  })
  const during = await scrape(relay.url)
  assert.equal(during.get('llm_relay_streams_in_flight'), 1)
  assert.equal(during.get('llm_relay_requests_in_flight'), 1)
  await slow.body.dump()
})

test('the metrics can be kept behind a bearer token; /v1/metrics serves the same', async (t) => {
  const mock = await startMock(t)
  const relay = await startRelay(t, { metrics: { token: 'scrape-secret' }, routes: [{ path: '/', upstreams: [{ url: mock.url }] }] })
  const refused = await request(`${relay.url}/metrics`)
  assert.equal(refused.statusCode, 401)
  assert.equal(((await refused.body.json()) as { error: { code: string } }).error.code, 'RELAY_ERR_UNAUTHORIZED')
  const wrong = await request(`${relay.url}/v1/metrics`, { headers: { authorization: 'Bearer nope' } })
  assert.equal(wrong.statusCode, 401)
  await wrong.body.dump()
  const samples = await scrape(relay.url, { authorization: 'Bearer scrape-secret' })
  assert.ok(samples.has('llm_relay_requests_in_flight'))
  const v1 = await request(`${relay.url}/v1/metrics`, { headers: { authorization: 'Bearer scrape-secret' } })
  assert.equal(v1.statusCode, 200)
  assert.match(await v1.body.text(), /llm_relay_requests_in_flight/)
})
