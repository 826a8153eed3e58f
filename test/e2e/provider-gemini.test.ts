import assert from 'node:assert/strict'
import { test, type TestContext } from 'node:test'
import OpenAI from 'openai'
import { request } from 'undici'
import type { MockUpstream } from '../../src/mock-upstream/index.js'
import { startMock } from '../helpers/mock.js'
import { startRelay } from '../helpers/relay.js'

// Issue "Speak every provider ... behind the OpenAI API", Gemini: the OpenAI SDK → the gateway → the
// mock's Gemini API, over real sockets. Each case checks what the client got and what Gemini received
// (translation.md §8: C1-C5, C7, C8, C12-C15).

const KEY = 'AIza-upstream-key-1'
const MODEL = 'gemini-2.5-flash'

interface Setup {
  mock: MockUpstream
  client: OpenAI
  relayUrl: string
}

async function setup(t: TestContext): Promise<Setup> {
  const mock = await startMock(t)
  const relay = await startRelay(t, { routes: [{ path: '/', upstreams: [{ provider: 'gemini', url: mock.url, keys: [KEY] }] }] })
  return { mock, relayUrl: relay.url, client: new OpenAI({ apiKey: 'client-token', baseURL: `${relay.url}/v1`, maxRetries: 0 }) }
}

/** What Gemini received: the request line, its headers, its JSON body. */
function received(mock: MockUpstream, index: number): { url: string; headers: Record<string, unknown>; body: Record<string, unknown> } {
  const seen = mock.requests[index]
  assert.ok(seen !== undefined, `the mock got no request ${index}`)
  return { url: seen.url, headers: seen.headers, body: JSON.parse(seen.body.toString('utf8')) as Record<string, unknown> }
}

/** Posts a chat request with undici and reads the raw SSE events (the SDK hides `[DONE]`). */
async function rawStream(relayUrl: string, body: object, headers: Record<string, string> = {}): Promise<{ status: number; text: string; events: string[]; error: unknown }> {
  const answer = await request(`${relayUrl}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ model: MODEL, stream: true, ...body }) })
  let text = ''
  let error: unknown
  try {
    for await (const chunk of answer.body) text += (chunk as Buffer).toString('utf8')
  } catch (caught) {
    error = caught
  }
  const events = text
    .split('\n\n')
    .filter((event) => event.startsWith('data: '))
    .map((event) => event.slice(6))
  return { status: answer.statusCode, text, events, error }
}

interface Chunk {
  id: string
  object: string
  created: number
  model: string
  choices: { index: number; delta: { role?: string; content?: string | null; reasoning_content?: string; tool_calls?: { index: number; id?: string; type?: string; function: { name?: string; arguments?: string } }[] }; finish_reason: string | null }[]
  usage?: { prompt_tokens: number; completion_tokens: number; total_tokens: number } | null
}

test('plain text: the system prompt arrives as systemInstruction, the key only in x-goog-api-key, never in the URL', async (t) => {
  const { mock, client } = await setup(t)
  const { data: answer, response } = await client.chat.completions
    .create({ model: MODEL, messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'hi' }], user: 'user-1' }, { headers: { 'x-goog-api-key': 'AIza-client-own' } })
    .withResponse()
  assert.equal(answer.object, 'chat.completion')
  assert.match(answer.id, /^chatcmpl-/)
  assert.equal(answer.model, MODEL)
  assert.equal(answer.choices[0]?.message.content, 'tok0 tok1 tok2 ')
  assert.equal(answer.choices[0]?.finish_reason, 'stop')
  assert.equal(answer.usage?.completion_tokens, 3)
  assert.equal(answer.usage?.total_tokens, (answer.usage?.prompt_tokens ?? 0) + 3)
  assert.equal(response.headers.get('x-relay-dropped-params'), 'user')

  const { url, headers, body } = received(mock, 0)
  assert.equal(url, `/v1beta/models/${MODEL}:generateContent`)
  assert.doesNotMatch(url, /key=/)
  assert.equal(headers['x-goog-api-key'], KEY, "the upstream's key, not the one the client sent")
  assert.equal(headers.authorization, undefined, "the client's token is not forwarded")
  assert.equal(headers['content-type'], 'application/json')
  assert.deepEqual(body, { contents: [{ role: 'user', parts: [{ text: 'hi' }] }], systemInstruction: { parts: [{ text: 'Be brief.' }] } })
})

test('a stream with include_usage keeps the OpenAI chunk invariants: one id and model, role first, one finish, usage last, then [DONE]', async (t) => {
  const { mock, client, relayUrl } = await setup(t)
  const { status, events, error } = await rawStream(relayUrl, { messages: [{ role: 'user', content: 'stream please' }], stream_options: { include_usage: true } }, { 'x-mock-chunks': '4' })
  assert.equal(status, 200)
  assert.equal(error, undefined)
  assert.equal(events.at(-1), '[DONE]')
  const chunks = events.slice(0, -1).map((event) => JSON.parse(event) as Chunk)
  assert.equal(new Set(chunks.map((chunk) => chunk.id)).size, 1)
  assert.equal(new Set(chunks.map((chunk) => chunk.created)).size, 1)
  assert.deepEqual([...new Set(chunks.map((chunk) => chunk.model))], [MODEL])
  assert.ok(chunks.every((chunk) => chunk.object === 'chat.completion.chunk'))
  assert.equal(chunks[0]?.choices[0]?.delta.role, 'assistant')
  assert.equal(chunks.flatMap((chunk) => chunk.choices).filter((choice) => choice.finish_reason !== null).length, 1)
  const usage = chunks.at(-1)!
  assert.deepEqual(usage.choices, [])
  assert.equal(usage.usage?.completion_tokens, 4)
  assert.ok(chunks.slice(0, -1).every((chunk) => chunk.choices.length === 1 && chunk.usage === null), 'no other chunk without choices, usage null until the last')
  assert.equal(chunks.map((chunk) => chunk.choices[0]?.delta.content ?? '').join(''), 'tok0 tok1 tok2 tok3 ')
  assert.equal(chunks.at(-2)?.choices[0]?.finish_reason, 'stop')
  const { url, headers } = received(mock, 0)
  assert.equal(url, `/v1beta/models/${MODEL}:streamGenerateContent?alt=sse`)
  assert.equal(headers['x-goog-api-key'], KEY)

  // The SDK reads the same stream; without include_usage there is no usage chunk.
  const stream = await client.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'again' }], stream: true })
  let text = ''
  let usageSeen = false
  for await (const chunk of stream) {
    text += chunk.choices[0]?.delta.content ?? ''
    usageSeen ||= chunk.usage !== undefined && chunk.usage !== null
  }
  assert.equal(text, 'tok0 tok1 tok2 ')
  assert.equal(usageSeen, false)
})

test('tool calls, plain: parallel calls with their ids, names and arguments, finish tool_calls; tools and tool_choice sent natively', async (t) => {
  const { mock, client } = await setup(t)
  const tools: OpenAI.ChatCompletionTool[] = [
    { type: 'function', function: { name: 'get_weather', description: 'Weather by city', parameters: { type: 'object', properties: { location: { type: 'string' } } } } },
    { type: 'function', function: { name: 'get_time', parameters: { type: 'object', properties: {} } } },
  ]
  const answer = await client.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'weather and time?' }], tools, tool_choice: 'required' }, { headers: { 'x-mock-tool-calls': '2' } })
  const choice = answer.choices[0]!
  assert.equal(choice.finish_reason, 'tool_calls')
  const calls = (choice.message.tool_calls ?? []).map((call) => (call.type === 'function' ? { id: call.id, name: call.function.name, args: JSON.parse(call.function.arguments) as unknown } : undefined))
  assert.deepEqual(calls, [
    { id: 'call_mock_1_0', name: 'get_weather', args: { location: 'Paris', call: 0 } },
    { id: 'call_mock_1_1', name: 'get_time', args: { location: 'Paris', call: 1 } },
  ])
  const { body } = received(mock, 0)
  assert.deepEqual(body.tools, [
    {
      functionDeclarations: [
        { name: 'get_weather', description: 'Weather by city', parametersJsonSchema: { type: 'object', properties: { location: { type: 'string' } } } },
        { name: 'get_time', parametersJsonSchema: { type: 'object', properties: {} } },
      ],
    },
  ])
  assert.deepEqual(body.toolConfig, { functionCallingConfig: { mode: 'ANY' } })
})

test('tool calls, streamed: each call starts with index, id, type and name, indexes dense from 0, arguments whole', async (t) => {
  const { relayUrl } = await setup(t)
  const tools = [{ type: 'function', function: { name: 'lookup', parameters: { type: 'object' } } }]
  const { events } = await rawStream(relayUrl, { messages: [{ role: 'user', content: 'look twice' }], tools }, { 'x-mock-tool-calls': '2' })
  assert.equal(events.at(-1), '[DONE]')
  const chunks = events.slice(0, -1).map((event) => JSON.parse(event) as Chunk)
  assert.equal(chunks[0]?.choices[0]?.delta.role, 'assistant')
  const fragments = chunks.flatMap((chunk) => chunk.choices[0]?.delta.tool_calls ?? [])
  const starts = fragments.filter((fragment) => fragment.id !== undefined)
  assert.deepEqual(
    starts.map((start) => [start.index, start.id, start.type, start.function.name]),
    [
      [0, 'call_mock_1_0', 'function', 'lookup'],
      [1, 'call_mock_1_1', 'function', 'lookup'],
    ],
  )
  for (const index of [0, 1]) {
    const args = fragments
      .filter((fragment) => fragment.index === index)
      .map((fragment) => fragment.function.arguments ?? '')
      .join('')
    assert.deepEqual(JSON.parse(args), { location: 'Paris', call: index })
  }
  assert.deepEqual(
    chunks.flatMap((chunk) => chunk.choices.map((choice) => choice.finish_reason)).filter((reason) => reason !== null),
    ['tool_calls'],
  )
})

test('a tool-result round trip: the thought signature comes back on its functionCall part, the result is named after its call', async (t) => {
  const { mock, client } = await setup(t)
  const tools: OpenAI.ChatCompletionTool[] = [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { location: { type: 'string' } } } } }]
  const question: OpenAI.ChatCompletionMessageParam = { role: 'user', content: 'weather in Paris?' }
  const first = await client.chat.completions.create({ model: MODEL, messages: [question], tools, reasoning_effort: 'low' }, { headers: { 'x-mock-reasoning': 'true' } })
  const message = first.choices[0]!.message
  const call = message.tool_calls?.[0]
  assert.ok(call?.type === 'function')
  assert.equal(call.id, 'call_mock_1__thought__sig_mock_1', "Gemini's id with its signature")
  assert.equal((message as unknown as { reasoning_content?: string }).reasoning_content, 'Let me think. The answer is tokens. ')
  assert.deepEqual((received(mock, 0).body.generationConfig as Record<string, unknown>).thinkingConfig, { thinkingBudget: 1024, includeThoughts: true })

  const second = await client.chat.completions.create({
    model: MODEL,
    messages: [question, { role: 'assistant', content: null, tool_calls: [call] }, { role: 'tool', tool_call_id: call.id, content: '{"temp":21,"sky":"clear"}' }, { role: 'user', content: 'and in words?' }],
  })
  assert.equal(second.choices[0]?.message.content, 'tok0 tok1 tok2 ')
  assert.deepEqual(received(mock, 1).body.contents, [
    { role: 'user', parts: [{ text: 'weather in Paris?' }] },
    { role: 'model', parts: [{ functionCall: { name: 'get_weather', args: { location: 'Paris', call: 0 }, id: 'call_mock_1' }, thoughtSignature: 'sig_mock_1' }] },
    { role: 'user', parts: [{ functionResponse: { name: 'get_weather', response: { temp: 21, sky: 'clear' }, id: 'call_mock_1' } }, { text: 'and in words?' }] },
  ])
})

test('usage with cached and reasoning tokens, plain and streamed, in OpenAI terms', async (t) => {
  const { client } = await setup(t)
  const headers = { 'x-mock-cached-tokens': '5', 'x-mock-reasoning': 'true' }
  const plain = await client.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'count me' }] }, { headers })
  const usage = plain.usage!
  assert.equal(usage.prompt_tokens_details?.cached_tokens, 5)
  assert.equal(usage.completion_tokens_details?.reasoning_tokens, 2)
  assert.equal(usage.completion_tokens, 5, 'three text tokens and two of reasoning')
  assert.ok(usage.prompt_tokens > 5, 'prompt tokens include the cached ones')
  assert.equal(usage.total_tokens, usage.prompt_tokens + usage.completion_tokens)

  const stream = await client.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'count me' }], stream: true, stream_options: { include_usage: true } }, { headers })
  let reasoning = ''
  let streamed: OpenAI.CompletionUsage | undefined
  for await (const chunk of stream) {
    reasoning += (chunk.choices[0]?.delta as { reasoning_content?: string } | undefined)?.reasoning_content ?? ''
    if (chunk.usage) streamed = chunk.usage
  }
  assert.equal(reasoning, 'Let me think. The answer is tokens. ')
  assert.deepEqual(streamed, usage)
})

test('a 429 reaches the client as 429 with Retry-After; a 503 as 503 overloaded', async (t) => {
  const { client } = await setup(t)
  const limited = await client.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'hi' }] }, { headers: { 'x-mock-status': '429', 'x-mock-retry-after': '7' } }).catch((error: unknown) => error)
  assert.ok(limited instanceof OpenAI.RateLimitError, String(limited))
  assert.equal(limited.status, 429)
  assert.equal(limited.headers?.get('retry-after'), '7')

  const overloaded = await client.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'hi' }] }, { headers: { 'x-mock-status': '503' } }).catch((error: unknown) => error)
  assert.ok(overloaded instanceof OpenAI.InternalServerError, String(overloaded))
  assert.equal(overloaded.status, 503)
})

test("a Gemini 400 reaches the client as OpenAI's 400 with Gemini's message", async (t) => {
  const { client } = await setup(t)
  const refused = await client.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'hi' }] }, { headers: { 'x-mock-status': '400' } }).catch((error: unknown) => error)
  assert.ok(refused instanceof OpenAI.BadRequestError, String(refused))
  assert.equal(refused.status, 400)
  assert.equal((refused.error as { type?: string }).type, 'invalid_request_error')
  assert.match(refused.message, /answered 400/)
})

test('an error in the middle of a stream ends the client stream with an error and no [DONE]', async (t) => {
  const { client, relayUrl } = await setup(t)
  const raw = await rawStream(relayUrl, { messages: [{ role: 'user', content: 'break please' }] }, { 'x-mock-stream-error': 'true', 'x-mock-chunks': '6' })
  assert.equal(raw.status, 200)
  assert.ok(!raw.events.includes('[DONE]'), raw.text)
  const last = JSON.parse(raw.events.at(-1)!) as { error?: { message: string } }
  assert.match(last.error?.message ?? '', /overloaded/)
  assert.ok(raw.events.length > 1, 'some content came before the error')

  const stream = await client.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'break please' }], stream: true }, { headers: { 'x-mock-stream-error': 'true', 'x-mock-chunks': '6' } })
  await assert.rejects(async () => {
    for await (const chunk of stream) void chunk
  }, OpenAI.APIError)
})

test('an image as a data URL arrives as inlineData', async (t) => {
  const { mock, client } = await setup(t)
  const answer = await client.chat.completions.create({
    model: MODEL,
    messages: [
      {
        role: 'user',
        content: [
          { type: 'text', text: 'what is this?' },
          { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgoAAAANSUhEUg==' } },
        ],
      },
    ],
  })
  assert.equal(answer.choices[0]?.message.content, 'tok0 tok1 tok2 ')
  assert.deepEqual(received(mock, 0).body.contents, [{ role: 'user', parts: [{ text: 'what is this?' }, { inlineData: { mimeType: 'image/png', data: 'iVBORw0KGgoAAAANSUhEUg==' } }] }])
})

test('max_tokens and stop sequences reach generationConfig; MAX_TOKENS is length; more than five stops are refused before Gemini is asked', async (t) => {
  const { mock, client } = await setup(t)
  const cut = await client.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'long' }], max_tokens: 2, stop: ['tok9'], temperature: 0.5 })
  assert.equal(cut.choices[0]?.finish_reason, 'length')
  assert.equal(cut.choices[0]?.message.content, 'tok0 tok1 ')
  assert.deepEqual(received(mock, 0).body.generationConfig, { maxOutputTokens: 2, temperature: 0.5, stopSequences: ['tok9'] })

  const many = await client.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'hi' }], stop: ['a', 'b', 'c', 'd', 'e', 'f'] }).catch((error: unknown) => error)
  assert.ok(many instanceof OpenAI.BadRequestError, String(many))
  assert.equal((many.error as { param?: string }).param, 'stop')
  const two = await client.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'hi' }], n: 2 }).catch((error: unknown) => error)
  assert.ok(two instanceof OpenAI.BadRequestError, String(two))
  assert.equal(mock.requests.length, 1, 'refused requests never reach Gemini')
})

test("the mock's Gemini API refuses what Gemini refuses, in Google's envelope", async (t) => {
  const mock = await startMock(t)
  const post = async (path: string, body: unknown, headers: Record<string, string> = { 'x-goog-api-key': 'k' }) => {
    const answer = await request(`${mock.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) })
    return { status: answer.statusCode, json: (await answer.body.json()) as { error?: { code: number; status: string; message: string } } & Record<string, unknown> }
  }
  const generate = `/v1beta/models/${MODEL}:generateContent`
  const hi = { contents: [{ role: 'user', parts: [{ text: 'hi' }] }] }
  const anonymous = await post(generate, hi, {})
  assert.equal(anonymous.status, 403)
  assert.equal(anonymous.json.error?.status, 'PERMISSION_DENIED')
  // Gemini also takes ?key= (the gateway never sends it: see the tests above).
  assert.equal((await post(`${generate}?key=k`, hi, {})).status, 200)
  for (const bad of [
    { contents: [] },
    { contents: [{ role: 'assistant', parts: [{ text: 'hi' }] }] },
    { contents: [{ role: 'user', parts: [] }] },
    { contents: [{ role: 'user', parts: [{ functionResponse: { response: { ok: true } } }] }] },
    { contents: [{ role: 'user', parts: [{ text: 'q' }] }, { role: 'model', parts: [{ functionCall: { name: 'f', args: {} } }] }, { role: 'user', parts: [{ text: 'no result' }] }] },
    { contents: [{ role: 'user', parts: [{ functionResponse: { name: 'f', response: {} } }] }] },
  ]) {
    const refused = await post(generate, bad)
    assert.equal(refused.status, 400, JSON.stringify(bad))
    assert.equal(refused.json.error?.status, 'INVALID_ARGUMENT')
    assert.equal(refused.json.error?.code, 400)
  }
  const quota = await post(generate, hi, { 'x-goog-api-key': 'k', 'x-mock-status': '429' })
  assert.equal(quota.json.error?.status, 'RESOURCE_EXHAUSTED')

  // streamGenerateContent without alt=sse: the same chunks as one JSON array.
  const array = await request(`${mock.url}/v1beta/models/${MODEL}:streamGenerateContent`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-goog-api-key': 'k' }, body: JSON.stringify(hi) })
  const chunks = (await array.body.json()) as { candidates: { content: { parts: { text: string }[] }; finishReason?: string }[]; responseId: string }[]
  assert.equal(chunks.map((chunk) => chunk.candidates[0]?.content.parts[0]?.text).join(''), 'tok0 tok1 tok2 ')
  assert.equal(chunks.at(-1)?.candidates[0]?.finishReason, 'STOP')
})
