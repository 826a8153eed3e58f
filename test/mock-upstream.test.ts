import assert from 'node:assert/strict'
import { describe, test, type TestContext } from 'node:test'
import OpenAI from 'openai'
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
