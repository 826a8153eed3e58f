import assert from 'node:assert/strict'
import { describe, test, type TestContext } from 'node:test'
import Anthropic from '@anthropic-ai/sdk'
import OpenAI from 'openai'
import type { ResponseStreamEvent } from 'openai/resources/responses/responses'
import {
  behaviourFromOptions,
  startMockUpstream,
  type MockUpstream,
  type MockUpstreamOptions,
} from '../src/mock-upstream/index.js'

async function start(t: TestContext, options?: MockUpstreamOptions): Promise<MockUpstream> {
  const mock = await startMockUpstream(options)
  t.after(() => mock.close())
  return mock
}

function sdk(mock: MockUpstream): OpenAI {
  // No retries: every fault must reach the test as it was sent.
  return new OpenAI({ apiKey: 'x', baseURL: `${mock.url}/v1`, maxRetries: 0 })
}

function chat(mock: MockUpstream, body: object = {}, headers: Record<string, string> = {}, path = '/v1/chat/completions'): Promise<Response> {
  return fetch(mock.url + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hello there' }], ...body }),
  })
}

/** Reads a body until it ends or breaks; a truncated answer breaks. */
async function readAll(res: Response): Promise<{ text: string; error: unknown }> {
  const reader = res.body?.getReader()
  assert.ok(reader)
  const decoder = new TextDecoder()
  let text = ''
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) return { text, error: undefined }
      text += decoder.decode(value, { stream: true })
    }
  } catch (error) {
    return { text, error }
  }
}

function sseData(text: string): string[] {
  return text
    .split('\n\n')
    .filter((event) => event.startsWith('data: '))
    .map((event) => event.slice('data: '.length))
}

describe('mock upstream: endpoints through the openai SDK', () => {
  test('chat completion: deterministic text, usage, ids, recorded request', async (t) => {
    const mock = await start(t)
    const answer = await sdk(mock).chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'sixteen chars!!!' }],
    })
    assert.equal(answer.object, 'chat.completion')
    assert.equal(answer.id, 'chatcmpl-mock-1')
    assert.equal(answer.model, 'gpt-4o-mini')
    assert.equal(answer.choices[0]?.message.content, 'tok0 tok1 tok2 ')
    assert.equal(answer.choices[0]?.finish_reason, 'stop')
    assert.deepEqual(answer.usage, { prompt_tokens: 4, completion_tokens: 3, total_tokens: 7 })

    assert.equal(mock.requests.length, 1)
    const [received] = mock.requests
    assert.equal(received?.method, 'POST')
    assert.equal(received?.url, '/v1/chat/completions')
    assert.equal(received?.headers.authorization, 'Bearer x')
    assert.equal(JSON.parse(received?.body.toString() ?? '').model, 'gpt-4o-mini')
    assert.equal(received?.aborted, false)
  })

  test('chat stream: role chunk, content chunks, stop, usage chunk only when asked', async (t) => {
    const mock = await start(t)
    const client = sdk(mock)
    const stream = await client.chat.completions.create({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'hi' }],
      stream: true,
      stream_options: { include_usage: true },
    })
    const chunks = []
    for await (const chunk of stream) chunks.push(chunk)
    assert.equal(chunks.length, 1 + 3 + 1 + 1)
    assert.deepEqual(chunks[0]?.choices[0]?.delta, { role: 'assistant', content: '', refusal: null })
    assert.equal(chunks.map((c) => c.choices[0]?.delta.content ?? '').join(''), 'tok0 tok1 tok2 ')
    assert.equal(chunks[4]?.choices[0]?.finish_reason, 'stop')
    assert.deepEqual(chunks[5]?.choices, [])
    assert.deepEqual(chunks[5]?.usage, { prompt_tokens: 1, completion_tokens: 3, total_tokens: 4 })

    const plain = await client.chat.completions.create({ model: 'gpt-4o', messages: [], stream: true })
    const plainChunks = []
    for await (const chunk of plain) plainChunks.push(chunk)
    assert.equal(plainChunks.length, 5)
    assert.ok(plainChunks.every((c) => c.usage === undefined && c.choices.length === 1))
  })

  test('chat with tools answers a tool call, plain and streamed', async (t) => {
    const mock = await start(t)
    const client = sdk(mock)
    const tools = [{ type: 'function' as const, function: { name: 'get_weather', parameters: { type: 'object' } } }]
    const answer = await client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'weather?' }], tools })
    const call = answer.choices[0]?.message.tool_calls?.[0]
    assert.equal(answer.choices[0]?.finish_reason, 'tool_calls')
    assert.equal(call?.type === 'function' ? call.function.name : undefined, 'get_weather')
    assert.equal(call?.type === 'function' ? call.function.arguments : undefined, '{"location":"Paris","call":0}')

    const stream = await client.chat.completions.create({ model: 'gpt-4o', messages: [], tools, stream: true })
    let args = ''
    let name: string | undefined
    let finish: string | null | undefined
    for await (const chunk of stream) {
      const choice = chunk.choices[0]
      for (const delta of choice?.delta.tool_calls ?? []) {
        name ??= delta.function?.name
        args += delta.function?.arguments ?? ''
      }
      finish = choice?.finish_reason ?? finish
    }
    assert.equal(name, 'get_weather')
    assert.equal(args, '{"location":"Paris","call":0}')
    assert.equal(finish, 'tool_calls')
  })

  test('legacy completions, plain and streamed', async (t) => {
    const mock = await start(t, { behaviour: { chunks: 4 } })
    const client = sdk(mock)
    const answer = await client.completions.create({ model: 'gpt-4o-mini', prompt: 'Say this' })
    assert.equal(answer.object, 'text_completion')
    assert.equal(answer.choices[0]?.text, 'tok0 tok1 tok2 tok3 ')
    assert.equal(answer.usage?.completion_tokens, 4)

    const stream = await client.completions.create({ model: 'gpt-4o-mini', prompt: 'Say this', stream: true })
    let text = ''
    for await (const chunk of stream) text += chunk.choices[0]?.text ?? ''
    assert.equal(text, 'tok0 tok1 tok2 tok3 ')
  })

  test('embeddings: base64 (SDK default) and float, one per input', async (t) => {
    const mock = await start(t)
    const answer = await sdk(mock).embeddings.create({ model: 'text-embedding-3-small', input: ['a', 'b', 'a'] })
    assert.equal(answer.data.length, 3)
    assert.equal(answer.data[0]?.embedding.length, 8)
    assert.deepEqual(answer.data[0]?.embedding, answer.data[2]?.embedding)
    assert.notDeepEqual(answer.data[0]?.embedding, answer.data[1]?.embedding)

    const res = await fetch(`${mock.url}/embeddings`, {
      method: 'POST',
      body: JSON.stringify({ model: 'text-embedding-3-small', input: 'a', encoding_format: 'float' }),
    })
    const body = (await res.json()) as { object: string; data: Array<{ index: number; embedding: number[] }>; usage: object }
    assert.equal(body.object, 'list')
    assert.equal(body.data.length, 1)
    // Same vector whichever encoding carried it.
    assert.deepEqual(body.data[0]?.embedding, answer.data[0]?.embedding)
    assert.deepEqual(body.usage, { prompt_tokens: 1, total_tokens: 1 })
  })

  test('models: list, one, unknown', async (t) => {
    const mock = await start(t)
    const client = sdk(mock)
    const ids = []
    for await (const model of client.models.list()) ids.push(model.id)
    assert.deepEqual(ids, ['gpt-4o-mini', 'gpt-4o', 'text-embedding-3-small', 'whisper-1'])
    assert.equal((await client.models.retrieve('whisper-1')).id, 'whisper-1')
    await assert.rejects(client.models.retrieve('nope'), (error) => error instanceof OpenAI.NotFoundError)
  })

  test('transcriptions: multipart parsed, JSON and text formats', async (t) => {
    const mock = await start(t)
    const client = sdk(mock)
    const file = await OpenAI.toFile(Buffer.alloc(1234, 7), 'a.wav')
    const answer = await client.audio.transcriptions.create({ file, model: 'whisper-1' })
    assert.equal(answer.text, 'transcribed 1234 bytes with whisper-1')

    const text = await client.audio.transcriptions.create({
      file: await OpenAI.toFile(Buffer.alloc(10), 'b.wav'),
      model: 'whisper-1',
      response_format: 'text',
    })
    assert.equal(text.trim(), 'transcribed 10 bytes with whisper-1')
    assert.match(mock.requests[0]?.headers['content-type'] ?? '', /^multipart\/form-data/)
  })
})

describe('mock upstream: paths and plain HTTP', () => {
  test('any base path before the endpoint, healthz, 404, 405, request ids', async (t) => {
    const mock = await start(t)
    for (const path of ['/openai/v1/chat/completions', '/chat/completions', '/v1/chat/completions/']) {
      const res = await chat(mock, {}, {}, path)
      assert.equal(res.status, 200, path)
      assert.equal(((await res.json()) as { object: string }).object, 'chat.completion')
    }
    const health = await fetch(`${mock.url}/healthz`)
    assert.equal(health.status, 200)
    assert.equal((await health.text()).trim(), 'ok')

    const missing = await fetch(`${mock.url}/v1/nothing`, { method: 'POST' })
    assert.equal(missing.status, 404)
    assert.equal(((await missing.json()) as { error: { type: string } }).error.type, 'invalid_request_error')

    const wrongMethod = await fetch(`${mock.url}/v1/chat/completions`)
    assert.equal(wrongMethod.status, 405)
    assert.equal(wrongMethod.headers.get('allow'), 'POST')
    await wrongMethod.body?.cancel()

    assert.equal(missing.headers.get('x-mock-request-id'), '5')
    assert.equal(wrongMethod.headers.get('x-mock-request-id'), '6')
    assert.equal(wrongMethod.headers.get('x-request-id'), 'req_mock_6')
  })

  test('malformed JSON is a 400 invalid_request_error', async (t) => {
    const mock = await start(t)
    const res = await fetch(`${mock.url}/v1/chat/completions`, { method: 'POST', body: '{"model":' })
    assert.equal(res.status, 400)
    const body = (await res.json()) as { error: { type: string; code: string } }
    assert.equal(body.error.type, 'invalid_request_error')
    assert.equal(body.error.code, 'invalid_json')
  })

  test('echo returns PUT bodies byte for byte with method, URL and content type', async (t) => {
    const mock = await start(t)
    const bytes = Buffer.from(Array.from({ length: 512 }, (_, i) => i % 256))
    const res = await fetch(`${mock.url}/echo/some/where?x=1&y=%20`, {
      method: 'PUT',
      headers: { 'content-type': 'application/octet-stream' },
      body: bytes,
    })
    assert.equal(res.status, 200)
    assert.equal(res.headers.get('content-type'), 'application/octet-stream')
    assert.equal(res.headers.get('x-mock-echo-method'), 'PUT')
    assert.equal(res.headers.get('x-mock-echo-url'), '/echo/some/where?x=1&y=%20')
    assert.ok(Buffer.from(await res.arrayBuffer()).equals(bytes))
    assert.ok(mock.requests[0]?.body.equals(bytes))

    const deleted = await fetch(`${mock.url}/echo`, { method: 'DELETE' })
    assert.equal(deleted.headers.get('x-mock-echo-method'), 'DELETE')
    assert.equal((await deleted.arrayBuffer()).byteLength, 0)
  })
})

describe('mock upstream: faults', () => {
  test('status with Retry-After, seen by fetch and the SDK', async (t) => {
    const mock = await start(t, { behaviour: { status: 429, retryAfter: '2' } })
    const res = await chat(mock)
    assert.equal(res.status, 429)
    assert.equal(res.headers.get('retry-after'), '2')
    const body = (await res.json()) as { error: { message: string; type: string; code: string } }
    assert.equal(body.error.type, 'rate_limit_error')
    assert.equal(body.error.code, 'rate_limit_exceeded')
    await assert.rejects(
      sdk(mock).chat.completions.create({ model: 'gpt-4o', messages: [] }),
      (error) => error instanceof OpenAI.RateLimitError,
    )
  })

  test('reset destroys the socket before any answer and is not a client abort', async (t) => {
    const mock = await start(t)
    await assert.rejects(chat(mock, {}, { 'x-mock-fault': 'reset' }))
    assert.equal(mock.aborted(), 0)
    assert.equal(mock.requests[0]?.aborted, false)
    // The server stays healthy for the next request.
    assert.equal((await chat(mock)).status, 200)
  })

  test('hang never answers; the client abort is recorded', async (t) => {
    const mock = await start(t, { behaviour: { fault: 'hang' } })
    const controller = new AbortController()
    const pending = fetch(`${mock.url}/v1/models`, { signal: controller.signal })
    setTimeout(() => controller.abort(), 50)
    await assert.rejects(pending, { name: 'AbortError' })
    await mock.waitForAbort(2000)
    assert.equal(mock.aborted(), 1)
    assert.equal(mock.requests.at(-1)?.aborted, true)
  })

  test('truncate: half a stream, then the socket closes', async (t) => {
    const mock = await start(t, { behaviour: { fault: 'truncate', chunks: 6 } })
    const res = await chat(mock, { stream: true })
    assert.equal(res.status, 200)
    assert.equal(res.headers.get('content-type'), 'text/event-stream; charset=utf-8')
    const { text, error } = await readAll(res)
    assert.ok(error, 'the body must break')
    const data = sseData(text)
    assert.equal(data.length, 1 + 3)
    assert.ok(!text.includes('[DONE]'))
    assert.equal(mock.aborted(), 0)
  })

  test('truncate: half a JSON body, then the socket closes', async (t) => {
    const mock = await start(t)
    const res = await chat(mock, {}, { 'x-mock-fault': 'truncate' })
    const { text, error } = await readAll(res)
    assert.ok(error, 'the body must break')
    const length = Number(res.headers.get('content-length'))
    assert.equal(text.length, length >> 1)
  })

  test('headers delay holds the answer back', async (t) => {
    const mock = await start(t)
    const started = performance.now()
    const res = await chat(mock, {}, { 'x-mock-headers-delay-ms': '150' })
    assert.ok(performance.now() - started >= 140)
    assert.equal(res.status, 200)
    await res.body?.cancel()
  })

  test('chunk delay spaces events; a client leaving mid-stream stops the writes', async (t) => {
    const mock = await start(t)
    const started = performance.now()
    const res = await chat(mock, { stream: true }, { 'x-mock-chunk-delay-ms': '30', 'x-mock-chunks': '2' })
    const { text } = await readAll(res)
    // role, 2 content, stop, [DONE]: four gaps.
    assert.ok(performance.now() - started >= 110)
    assert.equal(sseData(text).length, 5)

    const slow = await chat(mock, { stream: true }, { 'x-mock-chunk-delay-ms': '40', 'x-mock-chunks': '50' })
    const reader = slow.body?.getReader()
    await reader?.read()
    await reader?.cancel()
    await mock.waitForAbort(2000)
    assert.equal(mock.aborted(), 1)
    assert.equal(mock.requests[1]?.aborted, true)
  })
})

describe('mock upstream: behaviour sources', () => {
  test('headers beat the body field mock, which beats the server-wide behaviour', async (t) => {
    const mock = await start(t, { behaviour: { status: 500 } })
    assert.equal((await chat(mock)).status, 500)
    assert.equal((await chat(mock, {}, { 'x-mock-status': '200' })).status, 200)
    assert.equal((await chat(mock, { mock: { status: 503 } })).status, 503)
    assert.equal((await chat(mock, { mock: { status: 503 } }, { 'x-mock-status': '201' })).status, 201)

    const body = (await (await chat(mock, { mock: { status: 200, chunks: 1, usage: false } })).json()) as {
      choices: Array<{ message: { content: string } }>
      usage?: object
    }
    assert.equal(body.choices[0]?.message.content, 'tok0 ')
    assert.equal(body.usage, undefined)
  })

  test('invalid overrides answer 400 naming the override', async (t) => {
    const mock = await start(t)
    const cases: Array<[object, Record<string, string>, RegExp]> = [
      [{}, { 'x-mock-status': 'abc' }, /x-mock-status/],
      [{}, { 'x-mock-fault': 'explode' }, /x-mock-fault/],
      [{}, { 'x-mock-chunks': '-1' }, /x-mock-chunks/],
      [{ mock: { chunkDelayMs: 'slow' } }, {}, /mock\.chunkDelayMs/],
      [{ mock: { nope: 1 } }, {}, /mock\.nope/],
      [{ mock: 'reset' }, {}, /body field mock/],
    ]
    for (const [body, headers, message] of cases) {
      const res = await chat(mock, body, headers)
      assert.equal(res.status, 400)
      const answer = (await res.json()) as { error: { message: string; code: string } }
      assert.match(answer.error.message, message)
      assert.equal(answer.error.code, 'invalid_mock_option')
    }
  })

  test('setBehaviour changes the server-wide behaviour; reset restores it', async (t) => {
    const mock = await start(t)
    mock.setBehaviour({ status: 502 })
    assert.equal((await chat(mock)).status, 502)
    assert.throws(() => mock.setBehaviour({ chunks: -3 }), /setBehaviour\.chunks/)
    mock.reset()
    assert.equal(mock.requests.length, 0)
    assert.equal((await chat(mock)).status, 200)
    assert.equal(mock.requests.length, 1)
  })

  test('record: false keeps nothing; bad start behaviour is refused', async (t) => {
    const mock = await start(t, { record: false })
    await (await chat(mock)).arrayBuffer()
    assert.equal(mock.requests.length, 0)
    await assert.rejects(startMockUpstream({ behaviour: { status: 42 } }), /behaviour\.status/)
  })

  test('behaviourFromOptions parses CLI strings and names the bad option', () => {
    assert.deepEqual(
      behaviourFromOptions({ status: '500', fault: 'reset', chunks: '20', chunkDelayMs: '5', headersDelayMs: '100', usage: 'false', port: '8080', host: undefined }),
      { status: 500, fault: 'reset', chunks: 20, chunkDelayMs: 5, headersDelayMs: 100, usage: false },
    )
    assert.throws(() => behaviourFromOptions({ chunkDelayMs: '5ms' }), /option chunkDelayMs must be an integer/)
    assert.throws(() => behaviourFromOptions({ fault: 'boom' }), /option fault must be one of none, reset, hang, truncate/)
    assert.throws(() => behaviourFromOptions({ status: '99' }), /option status/)
  })
})

/** Every event of a raw SSE body: its `event:` name and its parsed `data`. */
function sseEvents(text: string): Array<{ event: string | undefined; data: Record<string, unknown> }> {
  return text
    .split('\n\n')
    .filter((block) => block.trim() !== '')
    .map((block) => {
      const lines = block.split('\n')
      const event = lines.find((line) => line.startsWith('event: '))?.slice('event: '.length)
      const data = lines.find((line) => line.startsWith('data: '))?.slice('data: '.length) ?? '{}'
      return { event, data: JSON.parse(data) as Record<string, unknown> }
    })
}

function responses(mock: MockUpstream, body: object, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${mock.url}/v1/responses`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer x', ...headers },
    body: JSON.stringify({ model: 'gpt-4o-mini', input: 'hello there', ...body }),
  })
}

/** The SDK's stream helper adds `parsed: null` to each output text; the mock sends none. */
function withoutParsed(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value, (key, field: unknown) => (key === 'parsed' ? undefined : field))) as unknown
}

const weather = { type: 'function' as const, name: 'get_weather', parameters: { type: 'object', properties: {} }, strict: false }
const textItem = (text: string, status = 'completed') => ({
  id: 'msg_mock_1',
  type: 'message',
  status,
  role: 'assistant',
  content: [{ type: 'output_text', annotations: [], logprobs: [], text }],
})

describe('mock upstream: OpenAI Responses API', () => {
  test('plain: a response object from the plan, the same counts as chat, the request recorded', async (t) => {
    const mock = await start(t)
    const client = sdk(mock)
    // 4 + 16 characters of prompt: 5 tokens.
    const answer = await client.responses.create({ model: 'gpt-4o-mini', instructions: 'be k', input: 'sixteen chars!!!' })
    assert.equal(answer.id, 'resp_mock_1')
    assert.equal(answer.object, 'response')
    assert.equal(answer.status, 'completed')
    assert.equal(answer.model, 'gpt-4o-mini')
    assert.equal(answer.instructions, 'be k')
    assert.equal(typeof answer.created_at, 'number')
    assert.equal(answer.incomplete_details, null)
    assert.equal(answer.output_text, 'tok0 tok1 tok2 ')
    assert.deepEqual(answer.output, [textItem('tok0 tok1 tok2 ')])
    assert.deepEqual(answer.usage, {
      input_tokens: 5,
      input_tokens_details: { cached_tokens: 0 },
      output_tokens: 3,
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: 8,
    })

    // The same prompt through chat counts the same.
    const chatAnswer = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'system', content: 'be k' }, { role: 'user', content: 'sixteen chars!!!' }],
    })
    assert.equal(chatAnswer.usage?.prompt_tokens, answer.usage?.input_tokens)
    assert.equal(chatAnswer.choices[0]?.message.content, answer.output_text)

    // Input items: message content parts and tool outputs count too.
    const items = await client.responses.create({
      model: 'gpt-4o-mini',
      input: [
        { role: 'user', content: [{ type: 'input_text', text: 'eight ch' }] },
        { type: 'function_call', call_id: 'call_1', name: 'get_weather', arguments: '{}' },
        { type: 'function_call_output', call_id: 'call_1', output: 'twelve chars' },
      ],
    })
    assert.equal(items.usage?.input_tokens, 5)

    const [received] = mock.requests
    assert.equal(received?.method, 'POST')
    assert.equal(received?.url, '/v1/responses')
    assert.equal(received?.headers.authorization, 'Bearer x')
    assert.equal(received?.aborted, false)
    assert.deepEqual(JSON.parse(received?.body.toString() ?? ''), { model: 'gpt-4o-mini', instructions: 'be k', input: 'sixteen chars!!!' })
  })

  test('streamed with create({stream: true}): every event in order, numbered, named like its data', async (t) => {
    const mock = await start(t)
    const client = sdk(mock)
    const stream = await client.responses.create({ model: 'gpt-4o', input: 'hi', stream: true })
    const events: ResponseStreamEvent[] = []
    for await (const event of stream) events.push(event)
    assert.deepEqual(
      events.map((event) => event.type),
      [
        'response.created',
        'response.in_progress',
        'response.output_item.added',
        'response.content_part.added',
        'response.output_text.delta',
        'response.output_text.delta',
        'response.output_text.delta',
        'response.output_text.done',
        'response.content_part.done',
        'response.output_item.done',
        'response.completed',
      ],
    )
    assert.deepEqual(
      events.map((event) => event.sequence_number),
      events.map((_, index) => index),
    )
    const created = events[0]
    assert.equal(created?.type === 'response.created' ? created.response.status : undefined, 'in_progress')
    assert.deepEqual(created?.type === 'response.created' ? created.response.output : undefined, [])
    const deltas = events.flatMap((event) => (event.type === 'response.output_text.delta' ? [event] : []))
    assert.equal(deltas.map((event) => event.delta).join(''), 'tok0 tok1 tok2 ')
    assert.ok(deltas.every((event) => event.item_id === 'msg_mock_1' && event.output_index === 0 && event.content_index === 0))
    const done = events.find((event) => event.type === 'response.output_text.done')
    assert.equal(done?.type === 'response.output_text.done' ? done.text : undefined, 'tok0 tok1 tok2 ')
    const last = events.at(-1)
    assert.ok(last?.type === 'response.completed')
    assert.equal(last.response.id, 'resp_mock_1')
    assert.equal(last.response.status, 'completed')
    assert.deepEqual(last.response.output, [textItem('tok0 tok1 tok2 ')])
    assert.equal(last.response.usage?.output_tokens, 3)

    // On the wire: `event:` names its data's type, no [DONE], and the mock recorded a stream request.
    const res = await responses(mock, { stream: true })
    assert.equal(res.headers.get('content-type'), 'text/event-stream; charset=utf-8')
    const text = await res.text()
    assert.ok(!text.includes('[DONE]'))
    const raw = sseEvents(text)
    assert.equal(raw.length, 11)
    assert.ok(raw.every(({ event, data }) => event === data.type))
    assert.equal(JSON.parse(mock.requests.at(-1)?.body.toString() ?? '').stream, true)
  })

  test('responses.stream(...).finalResponse() builds the same response; chunk delay spaces the events', async (t) => {
    const mock = await start(t)
    const client = sdk(mock)
    const final = await client.responses.stream({ model: 'gpt-4o', input: 'hi' }, { headers: { 'x-mock-chunks': '4' } }).finalResponse()
    assert.equal(final.status, 'completed')
    assert.equal(final.output_text, 'tok0 tok1 tok2 tok3 ')
    assert.deepEqual(withoutParsed(final.output), [textItem('tok0 tok1 tok2 tok3 ')])
    assert.equal(final.usage?.output_tokens, 4)
    assert.equal(mock.requests[0]?.headers['x-stainless-helper-method'], 'stream')

    // 2 chunks: created, in_progress, added, part added, 2 deltas, text done, part done, item done, completed.
    const started = performance.now()
    const res = await responses(mock, { stream: true }, { 'x-mock-chunks': '2', 'x-mock-chunk-delay-ms': '20' })
    assert.equal(sseEvents(await res.text()).length, 10)
    assert.ok(performance.now() - started >= 170)
  })

  test('function calls: flat function tools, plain and streamed, tool_choice by name or none', async (t) => {
    const mock = await start(t)
    const client = sdk(mock)
    const answer = await client.responses.create({ model: 'gpt-4o', input: 'weather?', tools: [weather] })
    assert.equal(answer.status, 'completed')
    assert.deepEqual(answer.output, [
      { id: 'fc_mock_1_0', type: 'function_call', status: 'completed', arguments: '{"location":"Paris","call":0}', call_id: 'call_mock_1', name: 'get_weather' },
    ])
    assert.equal(answer.output_text, '')
    assert.deepEqual(answer.tools, [weather])

    const stream = client.responses.stream({ model: 'gpt-4o', input: 'weather?', tools: [weather] }, { headers: { 'x-mock-tool-calls': '2' } })
    const argumentDeltas: string[] = []
    stream.on('response.function_call_arguments.delta', (event) => argumentDeltas.push(event.delta))
    const final = await stream.finalResponse()
    const calls = final.output.flatMap((item) => (item.type === 'function_call' ? [item] : []))
    assert.deepEqual(
      calls.map((call) => [call.id, call.call_id, call.name, call.arguments]),
      [
        ['fc_mock_2_0', 'call_mock_2_0', 'get_weather', '{"location":"Paris","call":0}'],
        ['fc_mock_2_1', 'call_mock_2_1', 'get_weather', '{"location":"Paris","call":1}'],
      ],
    )
    // Three fragments a call (chunks: 3), joined back by the SDK.
    assert.equal(argumentDeltas.length, 6)
    assert.equal(argumentDeltas.join(''), '{"location":"Paris","call":0}{"location":"Paris","call":1}')

    const other = { ...weather, name: 'get_time' }
    const chosen = await client.responses.create({ model: 'gpt-4o', input: 'x', tools: [weather, other], tool_choice: { type: 'function', name: 'get_time' } })
    assert.equal(chosen.output[0]?.type === 'function_call' ? chosen.output[0].name : undefined, 'get_time')
    const none = await client.responses.create({ model: 'gpt-4o', input: 'x', tools: [weather], tool_choice: 'none' })
    assert.equal(none.output_text, 'tok0 tok1 tok2 ')
  })

  test('max_output_tokens cuts the answer: incomplete, plain and streamed', async (t) => {
    const mock = await start(t)
    const client = sdk(mock)
    const answer = await client.responses.create({ model: 'gpt-4o', input: 'hi', max_output_tokens: 2 })
    assert.equal(answer.status, 'incomplete')
    assert.deepEqual(answer.incomplete_details, { reason: 'max_output_tokens' })
    assert.equal(answer.max_output_tokens, 2)
    assert.deepEqual(answer.output, [textItem('tok0 tok1 ', 'incomplete')])
    assert.equal(answer.usage?.output_tokens, 2)

    const stream = await client.responses.create({ model: 'gpt-4o', input: 'hi', max_output_tokens: 2, stream: true })
    const events: ResponseStreamEvent[] = []
    for await (const event of stream) events.push(event)
    const last = events.at(-1)
    assert.ok(last?.type === 'response.incomplete')
    assert.equal(last.response.status, 'incomplete')
    assert.deepEqual(last.response.incomplete_details, { reason: 'max_output_tokens' })
    assert.ok(!events.some((event) => event.type === 'response.completed'))

    const final = await client.responses.stream({ model: 'gpt-4o', input: 'hi', max_output_tokens: 1 }).finalResponse()
    assert.equal(final.status, 'incomplete')
    assert.equal(final.output_text, 'tok0 ')
  })

  test('reasoning and cached tokens: a reasoning item and the usage details', async (t) => {
    const mock = await start(t)
    const client = sdk(mock)
    const headers = { 'x-mock-reasoning': 'true', 'x-mock-cached-tokens': '5' }
    const answer = await client.responses.create({ model: 'o4-mini', input: 'hi' }, { headers })
    assert.deepEqual(answer.output[0], { id: 'rs_mock_1', type: 'reasoning', summary: [], content: [{ type: 'reasoning_text', text: 'Let me think. The answer is tokens. ' }] })
    assert.equal(answer.output_text, 'tok0 tok1 tok2 ')
    assert.deepEqual(answer.usage, {
      input_tokens: 6,
      input_tokens_details: { cached_tokens: 5 },
      output_tokens: 5,
      output_tokens_details: { reasoning_tokens: 2 },
      total_tokens: 11,
    })
    const final = await client.responses.stream({ model: 'o4-mini', input: 'hi' }, { headers }).finalResponse()
    assert.deepEqual(withoutParsed(final.output), answer.output.map((item) => (item.type === 'message' ? { ...item, id: 'msg_mock_2' } : { ...item, id: 'rs_mock_2' })))
  })

  test("failures in OpenAI's envelope: statuses, a broken stream, bad requests, the method", async (t) => {
    const mock = await start(t)
    const client = sdk(mock)
    await assert.rejects(
      client.responses.create({ model: 'gpt-4o', input: 'x' }, { headers: { 'x-mock-status': '429', 'x-mock-retry-after': '3' } }),
      (error) => error instanceof OpenAI.RateLimitError && error.headers.get('retry-after') === '3',
    )
    const failed = await responses(mock, {}, { 'x-mock-status': '503' })
    assert.equal(failed.status, 503)
    assert.equal(((await failed.json()) as { error: { type: string } }).error.type, 'server_error')

    // A stream broken halfway: an `error` event the SDK throws on.
    const broken = await client.responses.create({ model: 'gpt-4o', input: 'x', stream: true }, { headers: { 'x-mock-stream-error': 'true', 'x-mock-chunks': '6' } })
    const seen: string[] = []
    await assert.rejects(
      (async () => {
        for await (const event of broken) seen.push(event.type)
      })(),
      (error) => error instanceof OpenAI.APIError && /broke its stream/.test(error.message),
    )
    assert.ok(seen.includes('response.output_text.delta'))
    assert.ok(!seen.includes('response.completed'))
    const raw = sseEvents(await (await responses(mock, { stream: true }, { 'x-mock-stream-error': 'true' })).text())
    const errorEvent = raw.at(-1)
    assert.equal(errorEvent?.event, 'error')
    assert.equal(errorEvent?.data.sequence_number, raw.length - 1)
    assert.equal(errorEvent?.data.code, 'server_error')
    assert.equal((errorEvent?.data.error as { type?: string } | undefined)?.type, 'server_error')

    const truncated = await readAll(await responses(mock, { stream: true }, { 'x-mock-fault': 'truncate' }))
    assert.ok(truncated.error, 'the body must break')
    assert.ok(!truncated.text.includes('response.completed'))

    await assert.rejects(client.responses.create({ input: 'x' } as never), (error) => error instanceof OpenAI.BadRequestError && error.param === 'model')
    const nested = await responses(mock, { tools: [{ type: 'function', function: { name: 'get_weather' } }] })
    assert.equal(nested.status, 400)
    assert.deepEqual(((await nested.json()) as { error: object }).error, {
      message: "Missing required parameter: 'tools[0].name'.",
      type: 'invalid_request_error',
      param: 'tools[0].name',
      code: 'missing_required_parameter',
    })
    const badInput = await responses(mock, { input: 42 })
    assert.equal(badInput.status, 400)
    assert.equal(((await badInput.json()) as { error: { param: string } }).error.param, 'input')

    const wrongMethod = await fetch(`${mock.url}/v1/responses`)
    assert.equal(wrongMethod.status, 405)
    assert.equal(wrongMethod.headers.get('allow'), 'POST')
    await wrongMethod.body?.cancel()
  })
})

describe('mock upstream: Anthropic count_tokens', () => {
  function anthropic(mock: MockUpstream): Anthropic {
    return new Anthropic({ apiKey: 'x', baseURL: mock.url, maxRetries: 0 })
  }

  test('countTokens equals the input_tokens of a messages answer to the same prompt; the request recorded', async (t) => {
    const mock = await start(t)
    const client = anthropic(mock)
    const prompt = { model: 'claude-sonnet-4-5', system: 'You are terse.', messages: [{ role: 'user' as const, content: 'What is the weather in Paris today?' }] }
    const counted = await client.messages.countTokens(prompt)
    const answered = await client.messages.create({ ...prompt, max_tokens: 100 })
    // 14 + 35 characters: 13 tokens.
    assert.deepEqual(counted, { input_tokens: 13 })
    assert.equal(counted.input_tokens, answered.usage.input_tokens)

    const [received] = mock.requests
    assert.equal(received?.method, 'POST')
    assert.equal(received?.url, '/v1/messages/count_tokens')
    // The key as x-api-key or (as this SDK sends it) a bearer token; the mock takes either.
    assert.equal(received?.headers['x-api-key'] ?? received?.headers.authorization?.replace(/^Bearer /, ''), 'x')
    assert.ok(received?.headers['anthropic-version'])
    assert.deepEqual(JSON.parse(received?.body.toString() ?? ''), prompt)

    // Cache reads are part of the prompt: count_tokens counts them, messages reports them apart.
    const headers = { 'x-mock-cached-tokens': '7' }
    const cachedCount = await client.messages.countTokens(prompt, { headers })
    const cachedAnswer = await client.messages.create({ ...prompt, max_tokens: 100 }, { headers })
    assert.equal(cachedCount.input_tokens, cachedAnswer.usage.input_tokens + (cachedAnswer.usage.cache_read_input_tokens ?? 0))
  })

  test("bad requests in Anthropic's envelope: no model, no messages, no key, no version", async (t) => {
    const mock = await start(t)
    const client = anthropic(mock)
    await assert.rejects(
      client.messages.countTokens({ model: 'claude-sonnet-4-5', messages: [] }),
      (error) => error instanceof Anthropic.BadRequestError && /messages/.test(error.message),
    )
    await assert.rejects(
      client.messages.countTokens({ messages: [{ role: 'user', content: 'hi' }] } as never),
      (error) => error instanceof Anthropic.BadRequestError && /model: Field required/.test(error.message),
    )

    const post = (headers: Record<string, string>, body: object = { model: 'claude-sonnet-4-5', messages: [{ role: 'user', content: 'hi' }] }) =>
      fetch(`${mock.url}/v1/messages/count_tokens`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) })
    const noKey = await post({ 'anthropic-version': '2023-06-01' })
    assert.equal(noKey.status, 401)
    assert.deepEqual(await noKey.json(), { type: 'error', error: { type: 'authentication_error', message: 'x-api-key header is required' }, request_id: 'req_mock_3' })
    const noVersion = await post({ 'x-api-key': 'x' })
    assert.equal(noVersion.status, 400)
    assert.equal(((await noVersion.json()) as { error: { type: string } }).error.type, 'invalid_request_error')
    const noMessages = await post({ 'x-api-key': 'x', 'anthropic-version': '2023-06-01' }, { model: 'claude-sonnet-4-5' })
    assert.equal(noMessages.status, 400)
    assert.deepEqual(((await noMessages.json()) as { error: object }).error, { type: 'invalid_request_error', message: 'messages: at least one message is required' })
    // A bearer token stands for the key, as on messages.
    const bearer = await post({ authorization: 'Bearer x', 'anthropic-version': '2023-06-01' })
    assert.deepEqual(await bearer.json(), { input_tokens: 1 })
    assert.equal(mock.requests.length, 6)
  })
})
