import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { AnswerListener } from '../../src/answers/listener.js'
import { readChatRequest } from '../../src/dialects/openai-chat/request.js'
import { RelayError } from '../../src/errors.js'
import { geminiError as geminiMockError } from '../../src/mock-upstream/gemini/errors.js'
import { bindGemini } from '../../src/providers/gemini/index.js'
import type { AttemptRequest, PreparedAttempt, UpstreamError, UpstreamTarget } from '../../src/providers/types.js'

/**
 * The Gemini provider without sockets: a rich OpenAI request translated to generateContent, native
 * answers (plain and SSE, written as Gemini sends them) read into the answer stream, Google's error
 * envelope mapped to OpenAI's, and a thought signature carried out in a tool-call id and back.
 */

const gemini = bindGemini({ apiVersion: 'v1beta' })
const target: UpstreamTarget = { basePath: '', baseQuery: '' }

function attempt(json: Record<string, unknown>, endpoint: AttemptRequest['endpoint'] = 'chat'): AttemptRequest {
  const model = typeof json.model === 'string' ? json.model : ''
  return { method: 'POST', rest: '/chat/completions', endpoint, json, body: Buffer.from(JSON.stringify(json)), stream: json.stream === true, model, dialect: 'openai-chat', clientHeader: () => undefined, chat: () => readChatRequest(json, model) }
}

function prepare(json: Record<string, unknown>, at: UpstreamTarget = target): PreparedAttempt & { json: Record<string, unknown> } {
  const prepared = gemini.prepare(attempt(json), at)
  return { ...prepared, json: JSON.parse(String(prepared.body)) as Record<string, unknown> }
}

/** The RelayError a request is refused with. */
function refusal(json: Record<string, unknown>): RelayError {
  try {
    gemini.prepare(attempt(json), target)
  } catch (error) {
    assert.ok(error instanceof RelayError, String(error))
    return error
  }
  assert.fail('the request was not refused')
}

type Call = [string, ...unknown[]]

/** A listener that records every call, in order. */
function recorder(): AnswerListener & { calls: Call[] } {
  const calls: Call[] = []
  return {
    calls,
    start: (head) => calls.push(['start', head.id, head.model]),
    text: (choice, text) => calls.push(['text', choice, text]),
    reasoning: (choice, text) => calls.push(['reasoning', choice, text]),
    refusal: (choice, text) => calls.push(['refusal', choice, text]),
    toolCall: (choice, call, id, name) => calls.push(['toolCall', choice, call, id, name]),
    toolArguments: (choice, call, fragment) => calls.push(['toolArguments', choice, call, fragment]),
    finish: (choice, reason) => calls.push(['finish', choice, reason]),
    usage: (usage) => calls.push(['usage', usage]),
  }
}

/** Reads a native answer with the provider's decoder, pushed in small pieces (SSE events split anywhere). */
function decode(body: string, stream: boolean, pieceSize = 7): { calls: Call[]; failures: UpstreamError[]; completion: string } {
  const listener = recorder()
  const failures: UpstreamError[] = []
  const decoder = prepare({ model: 'gemini-2.5-flash', messages: [{ role: 'user', content: 'hi' }], stream }).answer!.decoder({ stream, listener, fail: (failure) => failures.push(failure) })
  const bytes = Buffer.from(body)
  for (let at = 0; at < bytes.length; at += pieceSize) decoder.push(bytes.subarray(at, at + pieceSize))
  return { calls: listener.calls, failures, completion: decoder.end() }
}

function sse(...chunks: object[]): string {
  return chunks.map((chunk) => `data: ${JSON.stringify(chunk)}\r\n\r\n`).join('')
}

const richRequest = {
  model: 'gemini-2.5-flash',
  messages: [
    { role: 'system', content: 'Be brief.' },
    { role: 'developer', content: [{ type: 'text', text: 'Use metric units.' }] },
    {
      role: 'user',
      content: [
        { type: 'text', text: 'Weather in Paris, and what is in these pictures?' },
        { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } },
        { type: 'image_url', image_url: { url: 'https://example.com/photos/cat.WEBP?size=2', detail: 'low' } },
        { type: 'image_url', image_url: { url: 'https://example.com/render' } },
      ],
    },
    {
      role: 'assistant',
      content: 'Let me check.',
      reasoning_content: 'The user wants weather.',
      tool_calls: [
        { id: 'fc_1__thought__c2lnLzEr+w==', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
        { id: 'call_relay_ab12cd34_1', type: 'function', function: { name: 'get_time', arguments: '' } },
      ],
    },
    { role: 'tool', tool_call_id: 'fc_1__thought__c2lnLzEr+w==', content: '{"temp":21}' },
    { role: 'tool', tool_call_id: 'call_relay_ab12cd34_1', content: [{ type: 'text', text: '12:00' }] },
    { role: 'user', content: 'Thanks. And tomorrow?' },
    { role: 'user', content: '' },
  ],
  max_completion_tokens: 256,
  temperature: 0.3,
  top_p: 0.9,
  stop: ['END', 'STOP'],
  n: 1,
  tools: [
    { type: 'function', function: { name: 'get_weather', description: 'Weather by city', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } } },
    { type: 'function', function: { name: 'get_time' } },
  ],
  tool_choice: { type: 'function', function: { name: 'get_weather' } },
  parallel_tool_calls: false,
  response_format: { type: 'json_schema', json_schema: { name: 'weather', schema: { type: 'object', properties: { temp: { type: 'number' } } } } },
  reasoning_effort: 'medium',
  seed: 7,
  presence_penalty: 0.5,
  frequency_penalty: 0.25,
  top_k: 40,
  logit_bias: { '50256': -100 },
  user: 'user-1',
}

test('a rich chat request becomes a generateContent request: every field placed, dropped and named, or refused', () => {
  const prepared = prepare(richRequest)
  assert.equal(prepared.method, 'POST')
  assert.equal(prepared.path, '/v1beta/models/gemini-2.5-flash:generateContent')
  assert.deepEqual(prepared.headers, { 'content-type': 'application/json' })
  assert.deepEqual(prepared.dropped, ['parallel_tool_calls', 'user', 'logit_bias'], 'dropped fields are named')
  assert.deepEqual(prepared.json, {
    contents: [
      {
        role: 'user',
        parts: [
          { text: 'Weather in Paris, and what is in these pictures?' },
          { inlineData: { mimeType: 'image/png', data: 'iVBORw0KGgo=' } },
          { fileData: { mimeType: 'image/webp', fileUri: 'https://example.com/photos/cat.WEBP?size=2' } },
          { fileData: { mimeType: 'image/jpeg', fileUri: 'https://example.com/render' } },
        ],
      },
      {
        role: 'model',
        parts: [
          { text: 'Let me check.' },
          // Gemini's id and its signature, split out of the OpenAI id; a call whose id the gateway made goes without one.
          { functionCall: { name: 'get_weather', args: { city: 'Paris' }, id: 'fc_1' }, thoughtSignature: 'c2lnLzEr+w==' },
          { functionCall: { name: 'get_time', args: {} } },
        ],
      },
      {
        // Both results and the next user message in one user turn, results first, named after their calls.
        role: 'user',
        parts: [
          { functionResponse: { name: 'get_weather', response: { temp: 21 }, id: 'fc_1' } },
          { functionResponse: { name: 'get_time', response: { content: '12:00' } } },
          { text: 'Thanks. And tomorrow?' },
        ],
      },
    ],
    systemInstruction: { parts: [{ text: 'Be brief.' }, { text: 'Use metric units.' }] },
    tools: [
      {
        functionDeclarations: [
          { name: 'get_weather', description: 'Weather by city', parametersJsonSchema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } },
          { name: 'get_time' },
        ],
      },
    ],
    toolConfig: { functionCallingConfig: { mode: 'ANY', allowedFunctionNames: ['get_weather'] } },
    generationConfig: {
      maxOutputTokens: 256,
      temperature: 0.3,
      topP: 0.9,
      stopSequences: ['END', 'STOP'],
      responseMimeType: 'application/json',
      responseJsonSchema: { type: 'object', properties: { temp: { type: 'number' } } },
      seed: 7,
      presencePenalty: 0.5,
      frequencyPenalty: 0.25,
      topK: 40,
      thinkingConfig: { thinkingBudget: 4096, includeThoughts: true },
    },
  })
})

test('tool_choice and response_format map to Gemini modes; a choice without tools is dropped and named', () => {
  const tools = [{ type: 'function', function: { name: 'f', parameters: { type: 'object' } } }]
  const base = { model: 'm', messages: [{ role: 'user', content: 'hi' }], tools }
  const mode = (choice: unknown) => (prepare({ ...base, tool_choice: choice }).json.toolConfig as { functionCallingConfig: unknown }).functionCallingConfig
  assert.deepEqual(mode('auto'), { mode: 'AUTO' })
  assert.deepEqual(mode('none'), { mode: 'NONE' })
  assert.deepEqual(mode('required'), { mode: 'ANY' })
  assert.equal(prepare(base).json.toolConfig, undefined)
  const noTools = prepare({ model: 'm', messages: [{ role: 'user', content: 'hi' }], tool_choice: 'required', response_format: { type: 'json_object' }, reasoning_effort: 'minimal' })
  assert.deepEqual(noTools.dropped, ['tool_choice', 'reasoning_effort'])
  assert.deepEqual(noTools.json.generationConfig, { responseMimeType: 'application/json' })
  assert.equal(noTools.json.tools, undefined)
})

test('the stream endpoint with alt=sse; a url ending in the version is forgiven; the key is never in the url', () => {
  const json = { model: 'gemini-2.5-pro', messages: [{ role: 'user', content: 'hi' }], stream: true, stream_options: { include_usage: true } }
  assert.equal(prepare(json).path, '/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse')
  assert.equal(prepare(json, { basePath: '/proxy/v1beta', baseQuery: 'tenant=a' }).path, '/proxy/v1beta/models/gemini-2.5-pro:streamGenerateContent?tenant=a&alt=sse')
  assert.equal(bindGemini({ apiVersion: 'v1' }).prepare(attempt({ ...json, stream: false, model: 'models/gemini-2.5-pro' }), target).path, '/v1/models/gemini-2.5-pro:generateContent')
  // A model cannot climb out of its path segment.
  assert.equal(prepare({ ...json, stream: false, model: '../files?x=1' }).path, '/v1beta/models/..%2Ffiles%3Fx%3D1:generateContent')
  const headers: Record<string, string | string[] | undefined> = {}
  gemini.setKey(headers, 'AIza-secret')
  assert.deepEqual(headers, { 'x-goog-api-key': 'AIza-secret' })
  assert.ok(gemini.credentialHeaders.has('x-goog-api-key'))
  assert.doesNotMatch(prepare(json).path, /key=/)
})

test('what Gemini cannot take is refused with 400 naming the field, never dropped silently', () => {
  const messages = [{ role: 'user', content: 'hi' }]
  const n = refusal({ model: 'm', messages, n: 2 })
  assert.equal(n.code, 'RELAY_ERR_UNSUPPORTED_PARAM')
  assert.equal(n.status, 400)
  assert.equal(n.param, 'n')
  const stop = refusal({ model: 'm', messages, stop: ['a', 'b', 'c', 'd', 'e', 'f'] })
  assert.equal(stop.param, 'stop')
  assert.match(stop.message, /at most 5/)
  assert.equal(refusal({ model: 'm', messages: [{ role: 'user', content: [{ type: 'input_audio', input_audio: { data: 'AAAA', format: 'wav' } }] }] }).param, 'messages[0].content[0].type')
  assert.equal(refusal({ model: 'm', messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'http://example.com/a.png' } }] }] }).param, 'messages[0].content[0].image_url.url')
  assert.equal(refusal({ model: 'm', messages: [{ role: 'tool', tool_call_id: 'nowhere', content: '1' }] }).param, 'messages[0].tool_call_id')
  assert.equal(refusal({ model: 'm', messages, functions: [{ name: 'f' }] }).param, 'functions')
  assert.equal(refusal({ model: '', messages }).param, 'model')
  assert.throws(() => gemini.prepare(attempt({ model: 'm', input: 'x' }, 'embeddings'), target), (error: unknown) => error instanceof RelayError && error.code === 'RELAY_ERR_ENDPOINT_NOT_SERVED')
  assert.equal(gemini.serves('embeddings'), false)
})

// A plain answer as gemini-2.5-flash gives it with includeThoughts: a thought summary, text, a call
// without an id but with a signature, and every usage field.
const plainAnswer = {
  candidates: [
    {
      content: {
        parts: [
          { text: 'The user wants the weather.', thought: true },
          { text: 'Checking Paris.' },
          { functionCall: { name: 'get_weather', args: { city: 'Paris', units: ['c'] } }, thoughtSignature: 'CiQBcsjafD3+/x==' },
        ],
        role: 'model',
      },
      finishReason: 'STOP',
      index: 0,
      safetyRatings: [{ category: 'HARM_CATEGORY_HARASSMENT', probability: 'NEGLIGIBLE' }],
    },
  ],
  usageMetadata: {
    promptTokenCount: 120,
    candidatesTokenCount: 30,
    totalTokenCount: 195,
    cachedContentTokenCount: 100,
    thoughtsTokenCount: 40,
    toolUsePromptTokenCount: 5,
    promptTokensDetails: [{ modality: 'TEXT', tokenCount: 120 }],
  },
  modelVersion: 'gemini-2.5-flash',
  responseId: 'mHvCaJ7xBqKz1dkP',
}

test('a plain answer: thoughts as reasoning, text, a whole call with a made id carrying its signature, finish tool_calls, usage in OpenAI terms', () => {
  const { calls, failures, completion } = decode(JSON.stringify(plainAnswer), false)
  assert.equal(completion, 'complete')
  assert.deepEqual(failures, [])
  const toolCall = calls.find(([kind]) => kind === 'toolCall')!
  assert.match(String(toolCall[3]), /^call_relay_[0-9a-f]{8}_0__thought__CiQBcsjafD3\+\/x==$/)
  assert.deepEqual(calls, [
    ['start', 'mHvCaJ7xBqKz1dkP', 'gemini-2.5-flash'],
    ['reasoning', 0, 'The user wants the weather.'],
    ['text', 0, 'Checking Paris.'],
    ['toolCall', 0, 0, toolCall[3], 'get_weather'],
    ['toolArguments', 0, 0, '{"city":"Paris","units":["c"]}'],
    ['finish', 0, 'tool_calls'],
    ['usage', { promptTokens: 125, completionTokens: 70, totalTokens: 195, cachedTokens: 100, reasoningTokens: 40 }],
  ])
})

test('finish reasons: MAX_TOKENS is length, filters are content_filter, the rest stop', () => {
  const reasonOf = (finishReason: string) => {
    const answer = { candidates: [{ content: { parts: [{ text: 'x' }], role: 'model' }, finishReason }], usageMetadata: { promptTokenCount: 1, candidatesTokenCount: 1 } }
    return decode(JSON.stringify(answer), false).calls.find(([kind]) => kind === 'finish')?.[2]
  }
  assert.equal(reasonOf('STOP'), 'stop')
  assert.equal(reasonOf('MAX_TOKENS'), 'length')
  for (const reason of ['SAFETY', 'RECITATION', 'BLOCKLIST', 'PROHIBITED_CONTENT', 'SPII', 'IMAGE_SAFETY', 'IMAGE_PROHIBITED_CONTENT']) assert.equal(reasonOf(reason), 'content_filter', reason)
  for (const reason of ['OTHER', 'LANGUAGE', 'MALFORMED_FUNCTION_CALL', 'SOMETHING_NEW']) assert.equal(reasonOf(reason), 'stop', reason)
  // A filtered answer may have no content at all.
  const empty = decode(JSON.stringify({ candidates: [{ finishReason: 'SAFETY', index: 0 }], responseId: 'r' }), false)
  assert.deepEqual(empty.calls, [['start', 'r', ''], ['finish', 0, 'content_filter']])
  assert.equal(decode('{"candidates": []}', false).completion, 'incomplete')
  assert.equal(decode('not json', false).completion, 'incomplete')
})

// A stream as Gemini sends it with alt=sse: whole responses, usage repeated and growing, the finish on the last chunk.
const head = { modelVersion: 'gemini-2.5-flash', responseId: 'Yx1KaPOf' }
const streamChunks = [
  { candidates: [{ content: { parts: [{ text: 'Thinking about it.', thought: true }], role: 'model' }, index: 0 }], usageMetadata: { promptTokenCount: 12, totalTokenCount: 20, thoughtsTokenCount: 8 }, ...head },
  { candidates: [{ content: { parts: [{ text: 'Hello' }], role: 'model' }, index: 0 }], usageMetadata: { promptTokenCount: 12, candidatesTokenCount: 1, totalTokenCount: 21, thoughtsTokenCount: 8 }, ...head },
  {
    candidates: [
      {
        content: {
          parts: [
            { text: ' there.' },
            { functionCall: { id: 'fc_a', name: 'lookup', args: { q: 'a' } }, thoughtSignature: 'sig/A==' },
            { functionCall: { id: 'fc_b', name: 'lookup', args: {} } },
          ],
          role: 'model',
        },
        finishReason: 'STOP',
        index: 0,
      },
    ],
    usageMetadata: { promptTokenCount: 12, candidatesTokenCount: 9, totalTokenCount: 29, thoughtsTokenCount: 8, cachedContentTokenCount: 4 },
    ...head,
  },
]

test('a stream: parts in order, parallel calls whole, finish and the last usage once at the end', () => {
  for (const pieceSize of [1, 7, 10_000]) {
    const { calls, failures, completion } = decode(sse(...streamChunks), true, pieceSize)
    assert.equal(completion, 'complete')
    assert.deepEqual(failures, [])
    assert.deepEqual(calls, [
      ['start', 'Yx1KaPOf', 'gemini-2.5-flash'],
      ['reasoning', 0, 'Thinking about it.'],
      ['text', 0, 'Hello'],
      ['text', 0, ' there.'],
      ['toolCall', 0, 0, 'fc_a__thought__sig/A==', 'lookup'],
      ['toolArguments', 0, 0, '{"q":"a"}'],
      ['toolCall', 0, 1, 'fc_b', 'lookup'],
      ['toolArguments', 0, 1, '{}'],
      ['finish', 0, 'tool_calls'],
      ['usage', { promptTokens: 12, completionTokens: 17, totalTokens: 29, cachedTokens: 4, reasoningTokens: 8 }],
    ])
  }
})

test('a stream that ends without a finish reason is incomplete; an error chunk fails it with the mapped error', () => {
  const cut = decode(sse(streamChunks[0]!, streamChunks[1]!), true)
  assert.equal(cut.completion, 'incomplete')
  assert.equal(cut.calls.some(([kind]) => kind === 'finish' || kind === 'usage'), false)

  const broken = decode(sse(streamChunks[1]!, { error: { code: 503, message: 'The model is overloaded. Please try again later.', status: 'UNAVAILABLE' } }, streamChunks[2]!), true)
  assert.deepEqual(broken.failures, [{ status: 503, type: 'server_error', code: 'overloaded', message: 'The model is overloaded. Please try again later.', retryAfterMs: undefined }])
  assert.equal(broken.completion, 'incomplete')
  // Nothing is read after the error.
  assert.deepEqual(broken.calls, [['start', 'Yx1KaPOf', 'gemini-2.5-flash'], ['text', 0, 'Hello']])
})

test('a blocked prompt (200, promptFeedback.blockReason, no candidates) fails as 400 content_filter, plain and streamed', () => {
  const blocked = { promptFeedback: { blockReason: 'PROHIBITED_CONTENT', safetyRatings: [] }, usageMetadata: { promptTokenCount: 9, totalTokenCount: 9 }, modelVersion: 'gemini-2.5-flash', responseId: 'b1' }
  const expected = { status: 400, type: 'invalid_request_error', code: 'content_filter', message: 'The upstream blocked the prompt (PROHIBITED_CONTENT).' }
  const plain = decode(JSON.stringify(blocked), false)
  assert.deepEqual(plain.failures, [expected])
  assert.equal(plain.completion, 'incomplete')
  const streamed = decode(sse(blocked), true)
  assert.deepEqual(streamed.failures, [expected])
  assert.deepEqual(streamed.calls, [])
})

test("Google's error envelope in OpenAI's terms, retry delay from RetryInfo first, the request never echoed", () => {
  const error = (status: number, body: unknown, headers: Record<string, string> = {}) => gemini.prepare(attempt({ model: 'm', messages: [{ role: 'user', content: 'secret prompt' }] }), target).answer!.error(status, headers, Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)))
  const quota = error(
    429,
    {
      error: {
        code: 429,
        message: 'You exceeded your current quota, please check your plan and billing details.',
        status: 'RESOURCE_EXHAUSTED',
        details: [
          { '@type': 'type.googleapis.com/google.rpc.QuotaFailure', violations: [{ quotaMetric: 'generativelanguage.googleapis.com/generate_content_free_tier_requests' }] },
          { '@type': 'type.googleapis.com/google.rpc.Help', links: [{ url: 'https://ai.google.dev/gemini-api/docs/rate-limits' }] },
          { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '37s' },
        ],
      },
    },
    { 'retry-after': '5' },
  )
  assert.deepEqual(quota, { status: 429, type: 'rate_limit_error', code: 'rate_limit_exceeded', message: 'You exceeded your current quota, please check your plan and billing details.', retryAfterMs: 37_000 })
  assert.equal(error(429, { error: { code: 429, message: 'slow down', status: 'RESOURCE_EXHAUSTED', details: [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '1.5s' }] } }).retryAfterMs, 1500)
  assert.equal(error(429, { error: { code: 429, message: 'slow down', status: 'RESOURCE_EXHAUSTED' } }, { 'retry-after': '5' }).retryAfterMs, 5000)

  const invalid = error(400, { error: { code: 400, message: '* GenerateContentRequest.contents: contents is not specified', status: 'INVALID_ARGUMENT' } })
  assert.deepEqual([invalid.status, invalid.type, invalid.code], [400, 'invalid_request_error', null])
  assert.deepEqual(
    (({ status, type, code }) => [status, type, code])(error(400, { error: { code: 400, message: 'API key not valid. Please pass a valid API key.', status: 'INVALID_ARGUMENT', details: [{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'API_KEY_INVALID', domain: 'googleapis.com' }] } })),
    [401, 'authentication_error', 'invalid_api_key'],
  )
  assert.equal(error(400, { error: { code: 400, message: 'User location is not supported for the API use.', status: 'FAILED_PRECONDITION' } }).status, 400)
  assert.equal(error(403, { error: { code: 403, message: 'Permission denied.', status: 'PERMISSION_DENIED' } }).status, 403)
  assert.equal(error(401, { error: { code: 401, message: 'Request had invalid authentication credentials.', status: 'UNAUTHENTICATED' } }).type, 'authentication_error')
  const missing = error(404, { error: { code: 404, message: 'models/gemini-9 is not found for API version v1beta', status: 'NOT_FOUND' } })
  assert.deepEqual([missing.status, missing.code], [404, 'model_not_found'])
  const overloaded = error(503, { error: { code: 503, message: 'The model is overloaded.', status: 'UNAVAILABLE' } })
  assert.deepEqual([overloaded.status, overloaded.type, overloaded.code], [503, 'server_error', 'overloaded'])
  assert.equal(error(504, { error: { code: 504, message: 'Deadline expired before operation could complete.', status: 'DEADLINE_EXCEEDED' } }).status, 504)
  const internal = error(500, { error: { code: 500, message: 'An internal error has occurred.', status: 'INTERNAL' } })
  assert.deepEqual([internal.status, internal.type, internal.code], [502, 'server_error', 'upstream_error'])
  // Not Google's envelope (a proxy's page): by status, with a message of the gateway's own.
  const page = error(502, '<html>Bad Gateway</html>')
  assert.deepEqual([page.status, page.code, page.message], [502, 'upstream_error', 'The upstream answered 502.'])
  assert.equal(error(429, '').status, 429)
  for (const mapped of [quota, invalid, page]) assert.doesNotMatch(JSON.stringify(mapped), /secret prompt/)
})

test('a thought signature goes out in the tool-call id and comes back on the same functionCall part, byte for byte', () => {
  const signature = 'Cs0BAVSoXO5/+Zm1ab==' // base64: '+', '/' and '=' must survive
  const answer = { candidates: [{ content: { parts: [{ functionCall: { name: 'get_weather', args: { city: 'Paris' } }, thoughtSignature: signature }, { functionCall: { name: 'get_time', args: {} } }], role: 'model' }, finishReason: 'STOP' }], responseId: 'r1' }
  const { calls } = decode(JSON.stringify(answer), false)
  const ids = calls.filter(([kind]) => kind === 'toolCall').map((call) => String(call[3]))
  assert.equal(ids.length, 2)
  assert.ok(ids[0]!.endsWith(`__thought__${signature}`))
  assert.doesNotMatch(ids[1]!, /__thought__/, 'only a signed call carries a signature')
  // Ids made for calls without one are unique per answer, so two turns never share one.
  const again = decode(JSON.stringify(answer), false).calls.filter(([kind]) => kind === 'toolCall').map((call) => String(call[3]))
  assert.notEqual(again[0], ids[0])

  // The client sends the turn back as OpenAI messages, with the results.
  const next = prepare({
    model: 'gemini-3-pro-preview',
    messages: [
      { role: 'user', content: 'Weather and time in Paris?' },
      { role: 'assistant', content: null, tool_calls: ids.map((id, at) => ({ id, type: 'function', function: { name: at === 0 ? 'get_weather' : 'get_time', arguments: at === 0 ? '{"city":"Paris"}' : '{}' } })) },
      { role: 'tool', tool_call_id: ids[0], content: 'sunny' },
      { role: 'tool', tool_call_id: ids[1], content: '{"time":"12:00"}' },
    ],
  })
  assert.deepEqual((next.json.contents as unknown[]).slice(1), [
    { role: 'model', parts: [{ functionCall: { name: 'get_weather', args: { city: 'Paris' } }, thoughtSignature: signature }, { functionCall: { name: 'get_time', args: {} } }] },
    { role: 'user', parts: [{ functionResponse: { name: 'get_weather', response: { content: 'sunny' } } }, { functionResponse: { name: 'get_time', response: { time: '12:00' } } }] },
  ])
})

test("the mock's 429 says when to retry as Gemini does, and the provider reads it", () => {
  const answer = geminiMockError(429, 'Resource has been exhausted (e.g. check quota).', 1, { retryAfter: '7' })
  const body = JSON.parse(String(answer.body)) as { error: { status: string; details: { '@type': string; retryDelay?: string }[] } }
  assert.equal(body.error.status, 'RESOURCE_EXHAUSTED')
  assert.deepEqual(body.error.details.at(-1), { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '7s' })
  const mapped = gemini.prepare(attempt({ model: 'm', messages: [{ role: 'user', content: 'hi' }] }), target).answer!.error(429, {}, Buffer.from(String(answer.body)))
  assert.deepEqual([mapped.status, mapped.retryAfterMs], [429, 7000])
  // Without a retryAfter, no RetryInfo: nothing is made up.
  assert.doesNotMatch(String(geminiMockError(429, 'x', 2).body), /RetryInfo/)
})
