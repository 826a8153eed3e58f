import assert from 'node:assert/strict'
import { join } from 'node:path'
import { describe, test, type TestContext } from 'node:test'
import OpenAI from 'openai'
import type { ResponseCreateParamsNonStreaming, ResponseInputItem, Tool } from 'openai/resources/responses/responses'
import { request } from 'undici'
import type { ConfigInput } from '../../src/config/schema.js'
import { estimatePromptTokens, loadTokenizer } from '../../src/limits/token-count.js'
import type { MockRequest, MockUpstream } from '../../src/mock-upstream/index.js'
import type { RequestRecord } from '../../src/records/record.js'
import { createRecordStore } from '../../src/storage/record-store.js'
import { allFinished } from '../helpers/metrics.js'
import { startMock } from '../helpers/mock.js'
import { readText } from '../helpers/read-body.js'
import { rejection } from '../helpers/rejection.js'
import { eventually, startRelay, type TestRelay } from '../helpers/relay.js'
import { withinOneWindow } from '../helpers/windows.js'
import { anthropicCase, azureDatedCase, azureV1Case, geminiCase, openaiCase, replicateCase, type ProviderCase } from './cases.js'
import { asList, asRecord, checkResponsesStream, expectedChoice, foldDeltas, functionCalls, nativeSchema, nativeTools, parseEvents, type Json } from './responses-check.js'

// The Responses API on the gateway's front door (POST /v1/responses), translation.md §6b, §7.4, §8:
// for every provider the same cases, with the official `openai` SDK as the client (raw undici where
// the exact bytes or events matter), over real sockets to the shipped mock, checking both what the
// client got and what the upstream received in its own shape. Then the passthrough to an upstream
// that serves the Responses API itself, and what else the gateway does (limits, quotas, records,
// cache) for Responses traffic, and a Codex-like session.

await loadTokenizer()

const KEY = 'sk-responses-upstream-key-5521'
const CLIENT_TOKEN = 'client-token-responses'
const MODEL = 'gpt-4o-mini'
/** The mock's answer to every plain text request (three chunks). */
const TEXT = 'tok0 tok1 tok2 '
const INSTRUCTIONS = 'Answer in French, briefly.'

const weatherTool: Tool = { type: 'function', name: 'get_weather', description: 'The weather in a place', strict: false, parameters: { type: 'object', properties: { location: { type: 'string' } } } }
const timeTool: Tool = { type: 'function', name: 'get_time', description: 'The time in a place', strict: false, parameters: { type: 'object', properties: { location: { type: 'string' } } } }

/** The kind of upstream a case configures (openai, azure, anthropic, gemini, replicate). */
function kindOf(provider: ProviderCase): string {
  return provider.upstream('http://127.0.0.1:1', 'k').provider ?? 'openai'
}

interface Setup {
  mock: MockUpstream
  relay: TestRelay
  client: OpenAI
  /** The last request the upstream received at the provider's generation path. */
  lastRequest(): MockRequest
  /** Its body, parsed. */
  lastBody(): Json
  /** The requests the upstream received at the provider's generation path. */
  generations(): MockRequest[]
}

type RouteInput = ConfigInput['routes'][number]

async function setup(t: TestContext, provider: ProviderCase, options: { route?: Partial<RouteInput>; config?: Partial<ConfigInput> } = {}): Promise<Setup> {
  const mock = await startMock(t)
  const relay = await startRelay(t, { routes: [{ path: '/', upstreams: [provider.upstream(mock.url, KEY)], ...options.route }], ...options.config })
  const client = new OpenAI({ apiKey: CLIENT_TOKEN, baseURL: `${relay.url}/v1`, maxRetries: 0 })
  const generations = () => mock.requests.filter((received) => provider.chatPath.test(received.url))
  const lastRequest = () => {
    const found = generations().at(-1)
    assert.ok(found !== undefined, `no request at ${provider.chatPath}: ${mock.requests.map((received) => received.url).join(', ')}`)
    return found
  }
  return { mock, relay, client, lastRequest, generations, lastBody: () => JSON.parse(lastRequest().body.toString('utf8')) as Json }
}

interface RawAnswer {
  status: number
  headers: Record<string, string | string[] | undefined>
  text: string
  broken: boolean
}

/** POST /v1/responses with undici: the exact bytes out (a string body is sent as it is) and in. */
async function postResponses(relay: TestRelay, body: object | string, headers: Record<string, string> = {}): Promise<RawAnswer> {
  const answer = await request(`${relay.url}/v1/responses`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${CLIENT_TOKEN}`, ...headers },
    body: typeof body === 'string' ? body : JSON.stringify({ model: MODEL, ...body }),
  })
  return { status: answer.statusCode, headers: answer.headers, ...(await readText(answer.body)) }
}



const providers: ProviderCase[] = [openaiCase, azureDatedCase, azureV1Case, anthropicCase, geminiCase, replicateCase]

for (const provider of providers) {
  const kind = kindOf(provider)

  describe(`responses in → ${provider.name}`, () => {
    test('1 plain: output_text is the upstream\'s text, the model the alias, a resp_ id, completed, usage set, the output whole; the upstream got its native request', async (t) => {
      const { client, lastRequest, lastBody, mock } = await setup(t, provider)
      const response = await client.responses.create({ model: MODEL, input: 'hello', instructions: INSTRUCTIONS })
      assert.equal(response.object, 'response')
      assert.match(response.id, /^resp_/)
      assert.equal(response.model, MODEL)
      assert.equal(response.status, 'completed')
      assert.equal(response.output_text, TEXT)
      assert.equal(response.error, null)
      assert.equal(response.incomplete_details, null)
      assert.ok(response.usage !== undefined && response.usage !== null)
      assert.ok(response.usage.input_tokens > 0)
      assert.equal(response.usage.output_tokens, 3)
      assert.equal(response.usage.total_tokens, response.usage.input_tokens + response.usage.output_tokens)
      assert.equal(response.output.length, 1)
      const [item] = response.output
      assert.ok(item?.type === 'message')
      assert.equal(item.role, 'assistant')
      assert.equal(item.status, 'completed')
      assert.match(item.id, /^msg_/)
      assert.deepEqual(item.content, [{ type: 'output_text', text: TEXT, annotations: [], logprobs: [] }])
      // The upstream: its own endpoint, its key in its header, the instructions in its system slot.
      const received = lastRequest()
      assert.match(received.url, provider.chatPath)
      assert.equal(received.method, 'POST')
      const sentKey = received.headers[provider.keyHeader]
      assert.ok(typeof sentKey === 'string' && sentKey.endsWith(KEY), `the key in ${provider.keyHeader}`)
      assert.ok(!received.url.includes(KEY), 'never in the URL')
      assert.ok(!JSON.stringify(mock.requests.map((one) => one.headers)).includes(CLIENT_TOKEN), 'the client token never reaches the upstream')
      assert.ok(!mock.requests.some((one) => one.url.includes('/responses')), 'translated, not passed through')
      assert.equal(provider.systemPrompt(lastBody()), INSTRUCTIONS)
    })

    test('2 streamed: invariant R on the raw events, the SDK iterates it and its stream helper assembles it, the deltas join to the plain text', async (t) => {
      const { client, relay } = await setup(t, provider)
      const raw = await postResponses(relay, { input: 'hello', stream: true })
      assert.equal(raw.status, 200)
      assert.equal(raw.broken, false)
      assert.match(String(raw.headers['content-type']), /^text\/event-stream/)
      const stream = checkResponsesStream(raw.text, { model: MODEL, ended: 'completed' })
      assert.equal(stream.text, TEXT)
      assert.deepEqual(foldDeltas(stream.types), [
        'response.created',
        'response.in_progress',
        'response.output_item.added',
        'response.content_part.added',
        'response.output_text.delta',
        'response.output_text.done',
        'response.content_part.done',
        'response.output_item.done',
        'response.completed',
      ])
      assert.equal(stream.types.filter((type) => type === 'response.output_text.delta').length, 3, 'one delta per upstream chunk: nothing held back')
      const done = stream.events.find(({ data }) => data.type === 'response.output_text.done')!.data
      assert.equal(done.text, TEXT)
      const message = asRecord(asList(stream.response.output)[0])
      assert.deepEqual(message.content, [{ type: 'output_text', text: TEXT, annotations: [], logprobs: [] }])
      assert.equal(asRecord(stream.response.usage).output_tokens, 3)

      // The official SDK, iterating.
      const events = await client.responses.create({ model: MODEL, input: 'hello', stream: true })
      const types: string[] = []
      let text = ''
      let completed: OpenAI.Responses.Response | undefined
      for await (const event of events) {
        types.push(event.type)
        if (event.type === 'response.output_text.delta') text += event.delta
        if (event.type === 'response.completed') completed = event.response
      }
      assert.equal(types[0], 'response.created')
      assert.equal(types.at(-1), 'response.completed')
      assert.equal(text, TEXT)
      assert.equal(completed?.status, 'completed')
      assert.equal(completed?.model, MODEL)

      // Its stream helper, which accumulates the events into a response.
      const helper = client.responses.stream({ model: MODEL, input: 'hello' })
      const deltas: string[] = []
      helper.on('response.output_text.delta', (event) => deltas.push(event.delta))
      const final = await helper.finalResponse()
      assert.equal(final.status, 'completed')
      assert.equal(final.output_text, TEXT)
      assert.equal(deltas.join(''), TEXT)
      assert.match(final.id, /^resp_/)
      assert.ok((final.usage?.total_tokens ?? 0) > 0)
    })

    if (provider.tools) {
      test('3a function tools and tool_choice (required, a named function, auto) with parallel_tool_calls false reach the upstream natively; the call comes back as a function_call item', async (t) => {
        const { client, lastBody } = await setup(t, provider)
        const choices: ('required' | 'auto' | { type: 'function'; name: string })[] = ['required', { type: 'function', name: 'get_time' }, 'auto']
        for (const choice of choices) {
          const params: ResponseCreateParamsNonStreaming = { model: MODEL, input: 'What is the weather in Paris?', tools: [weatherTool, timeTool], tool_choice: choice, parallel_tool_calls: false }
          const { data: answer, response: head } = await client.responses.create(params).withResponse()
          assert.equal(answer.status, 'completed')
          const calls = functionCalls(answer.output)
          assert.equal(calls.length, 1)
          const [call] = calls
          assert.equal(call!.name, typeof choice === 'object' ? 'get_time' : 'get_weather')
          assert.deepEqual(JSON.parse(call!.arguments), { location: 'Paris', call: 0 })
          assert.ok(call!.call_id.length > 0)
          assert.match(call!.id, /^fc_/)
          assert.equal(call!.status, 'completed')
          assert.equal(answer.output_text, '')
          const native = nativeTools(kind, lastBody())
          assert.deepEqual(native.names, ['get_weather', 'get_time'])
          assert.deepEqual(native.choice, expectedChoice(kind, choice, true), `tool_choice ${JSON.stringify(choice)} in ${kind}'s shape`)
          if (kind === 'gemini') assert.match(head.headers.get('x-relay-dropped-params') ?? '', /parallel_tool_calls/, 'Gemini has no switch for it: named as dropped')
          else assert.ok(native.single === false || native.single === true, 'parallel calls turned off natively')
          if (kind !== 'gemini') assert.equal(native.single, kind === 'anthropic' ? true : false)
        }
      })

      test('3b streamed function calls: the argument deltas join to the upstream\'s arguments, and the function_call items are in response.completed\'s output', async (t) => {
        const { client, relay } = await setup(t, provider)
        const raw = await postResponses(relay, { input: 'Weather in Paris and Rome?', stream: true, tools: [weatherTool] }, { 'x-mock-tool-calls': '2' })
        assert.equal(raw.status, 200)
        const stream = checkResponsesStream(raw.text, { model: MODEL, ended: 'completed' })
        const calls = functionCalls(stream.response.output)
        assert.equal(calls.length, 2, 'both calls in the closing response: Codex reads them from there')
        assert.deepEqual(
          calls.map((call) => JSON.parse(call.arguments) as unknown),
          [
            { location: 'Paris', call: 0 },
            { location: 'Paris', call: 1 },
          ],
        )
        assert.notEqual(calls[0]!.call_id, calls[1]!.call_id)
        for (const [index, call] of calls.entries()) {
          assert.equal(call.name, 'get_weather')
          assert.equal(call.arguments, JSON.stringify({ location: 'Paris', call: index }), 'the upstream\'s arguments')
          assert.equal(stream.arguments.get(call.id), call.arguments, 'the deltas join to the arguments')
          const done = stream.events.find(({ data }) => data.type === 'response.function_call_arguments.done' && data.item_id === call.id)
          assert.equal(done?.data.arguments, call.arguments)
          assert.equal(done?.data.name, 'get_weather')
          const added = stream.events.find(({ data }) => data.type === 'response.output_item.added' && asRecord(data.item).id === call.id)
          assert.equal(asRecord(added?.data.item).arguments, '', 'added with empty arguments')
          assert.equal(asRecord(added?.data.item).call_id, call.call_id)
        }
        const fragments = stream.types.filter((type) => type === 'response.function_call_arguments.delta').length
        assert.ok(fragments >= (provider.argumentFragments ? 6 : 2), `arguments came in fragments (${fragments})`)
        assert.equal(asRecord(stream.response).status, 'completed')

        // The SDK's helper assembles the same calls.
        const helper = client.responses.stream({ model: MODEL, input: 'Weather?', tools: [weatherTool] })
        const final = await helper.finalResponse()
        const helperCalls = functionCalls(final.output)
        assert.equal(helperCalls.length, 1)
        assert.deepEqual(JSON.parse(helperCalls[0]!.arguments), { location: 'Paris', call: 0 })
      })

      test('3c a second turn in Codex\'s style: the whole history in input reaches the upstream natively, tool results by call id, the instructions once in the system slot', async (t) => {
        const { client, lastBody } = await setup(t, provider)
        const first = await client.responses.create({ model: MODEL, instructions: INSTRUCTIONS, input: 'Weather in Paris and Rome?', tools: [weatherTool] }, { headers: { 'x-mock-tool-calls': '2' } })
        const calls = functionCalls(first.output)
        assert.equal(calls.length, 2)
        const history: ResponseInputItem[] = [
          { type: 'message', role: 'developer', content: [{ type: 'input_text', text: 'Use metric units.' }] },
          { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Weather in Paris and Rome?' }] },
          ...calls.map((call): ResponseInputItem => ({ type: 'function_call', id: call.id, call_id: call.call_id, name: call.name, arguments: call.arguments, status: 'completed' })),
          { type: 'function_call_output', call_id: calls[0]!.call_id, output: '{"temp":21}' },
          { type: 'function_call_output', call_id: calls[1]!.call_id, output: 'error: no station' },
        ]
        const second = await client.responses.create({ model: MODEL, instructions: INSTRUCTIONS, input: history, tools: [weatherTool], tool_choice: 'none', store: false })
        assert.equal(second.status, 'completed')
        assert.equal(second.output_text, TEXT)
        const body = lastBody()
        const results = provider.toolResults(body)
        assert.equal(results.flatMap((turn) => turn.ids).length, 2, 'both results arrived')
        if (provider.translated) assert.equal(results.length, 1, 'both results in one turn')
        if (kind === 'openai' || kind === 'azure' || kind === 'anthropic')
          assert.deepEqual(
            results.flatMap((turn) => turn.ids),
            calls.map((call) => call.call_id),
            'each result names its call',
          )
        const system = String(provider.systemPrompt(body))
        assert.ok(system.includes(INSTRUCTIONS), `the instructions in the system slot: ${system}`)
        assert.equal(JSON.stringify(body).split(INSTRUCTIONS).length - 1, 1, 'the instructions arrived once')
        assert.ok(JSON.stringify(body).includes('Use metric units.'), 'the developer message arrived')
        assert.equal(JSON.stringify(body).split('Weather in Paris and Rome?').length - 1, 1, 'the user message once')
        // The calls themselves, as the assistant's turn in the native shape.
        const text = JSON.stringify(body)
        for (const call of calls) assert.ok(text.includes(kind === 'gemini' ? '"functionCall"' : call.call_id), `the call ${call.call_id} is in the history`)
      })
    }

    test('4 max_output_tokens cuts the answer: incomplete with reason max_output_tokens, plain and streamed', async (t) => {
      const { client, relay } = await setup(t, provider)
      const cut = await client.responses.create({ model: MODEL, input: 'count', max_output_tokens: 2 })
      assert.equal(cut.status, 'incomplete')
      assert.deepEqual(cut.incomplete_details, { reason: 'max_output_tokens' })
      assert.equal(cut.output_text, 'tok0 tok1 ')
      const raw = await postResponses(relay, { input: 'count', max_output_tokens: 2, stream: true })
      const stream = checkResponsesStream(raw.text, { model: MODEL, ended: 'incomplete' })
      assert.equal(stream.text, 'tok0 tok1 ')
      assert.deepEqual(stream.response.incomplete_details, { reason: 'max_output_tokens' })
      assert.ok(!stream.types.includes('response.completed'))
      const final = await client.responses.stream({ model: MODEL, input: 'count', max_output_tokens: 2 }).finalResponse()
      assert.equal(final.status, 'incomplete')
      assert.equal(final.output_text, 'tok0 tok1 ')
    })

    test('4 text.format json_schema: the upstream\'s native structured output, or a 400 where it has none', async (t) => {
      const { client, lastBody, generations } = await setup(t, provider)
      const schema = { type: 'object', properties: { answer: { type: 'string' } }, required: ['answer'], additionalProperties: false }
      const params: ResponseCreateParamsNonStreaming = { model: MODEL, input: 'answer in JSON', text: { format: { type: 'json_schema', name: 'answer', schema, strict: true } } }
      if (kind === 'replicate') {
        const refused = await rejection(client.responses.create(params))
        assert.ok(refused instanceof OpenAI.BadRequestError, String(refused))
        assert.equal(refused.code, 'RELAY_ERR_UNSUPPORTED_PARAM')
        assert.equal(generations().length, 0, 'no upstream request')
        return
      }
      const response = await client.responses.create(params)
      assert.equal(response.status, 'completed')
      assert.deepEqual(nativeSchema(kind, lastBody()), schema)
      if (kind === 'openai' || kind === 'azure') assert.deepEqual(lastBody().response_format, { type: 'json_schema', json_schema: { name: 'answer', schema, strict: true } })
    })

    test('5 statelessness: previous_response_id, conversation, store: true, background: true, a built-in tool and an item_reference are refused with a 400 naming the field, before any upstream request; store: false is fine', async (t) => {
      const { client, mock, relay } = await setup(t, provider)
      const refused: [string, Partial<ResponseCreateParamsNonStreaming>, string][] = [
        ['previous_response_id', { previous_response_id: 'resp_earlier' }, 'previous_response_id'],
        ['conversation', { conversation: 'conv_123' }, 'conversation'],
        ['store', { store: true }, 'store'],
        ['background', { background: true }, 'background'],
        ['web_search', { tools: [{ type: 'web_search' }] }, 'tools[0]'],
        ['item_reference', { input: [{ type: 'message', role: 'user', content: 'hi' }, { type: 'item_reference', id: 'msg_earlier' }] }, 'input[1]'],
      ]
      for (const [name, fields, param] of refused) {
        const error = await rejection(client.responses.create({ model: MODEL, input: 'hello', ...fields }))
        assert.ok(error instanceof OpenAI.BadRequestError, `${name}: ${String(error)}`)
        assert.equal(error.status, 400)
        assert.equal(error.param, param, name)
        assert.equal(error.type, 'invalid_request_error')
        assert.equal(error.code, 'RELAY_ERR_UNSUPPORTED_PARAM')
        assert.ok(error.message.includes(param), `${name}: the message names the field: ${error.message}`)
        if (name !== 'web_search' && name !== 'item_reference') assert.match(error.message, /stateless/)
      }
      // Streamed too: the refusal comes before the stream, in OpenAI's envelope.
      const raw = await postResponses(relay, { input: 'hello', stream: true, previous_response_id: 'resp_earlier' })
      assert.equal(raw.status, 400)
      assert.match(String(raw.headers['content-type']), /application\/json/)
      const envelope = JSON.parse(raw.text) as { error: Json }
      assert.deepEqual(Object.keys(envelope), ['error'])
      assert.deepEqual(Object.keys(envelope.error).sort(), ['code', 'message', 'param', 'type'])
      assert.equal(envelope.error.param, 'previous_response_id')
      assert.equal(mock.requests.length, 0, 'no upstream request was made')
      const fine = await client.responses.create({ model: MODEL, input: 'hello', store: false })
      assert.equal(fine.output_text, TEXT)
    })

    test('7 errors before the stream: 429 with Retry-After, 400, overloaded as 503, in OpenAI\'s envelope; no upstream key anywhere', async (t) => {
      const { client, relay } = await setup(t, provider)
      const limited = await rejection(client.responses.create({ model: MODEL, input: 'x' }, { headers: { 'x-mock-status': '429', 'x-mock-retry-after': '7' } }))
      assert.ok(limited instanceof OpenAI.RateLimitError, String(limited))
      assert.equal(limited.headers.get('retry-after'), '7')
      assert.equal(limited.type, 'rate_limit_error')
      const bad = await rejection(client.responses.create({ model: MODEL, input: 'x' }, { headers: { 'x-mock-status': '400' } }))
      assert.ok(bad instanceof OpenAI.BadRequestError, String(bad))
      assert.equal(bad.type, 'invalid_request_error')
      assert.ok(bad.message.length > 0)
      const overloaded = await rejection(client.responses.create({ model: MODEL, input: 'x' }, { headers: { 'x-mock-status': String(provider.overloadedStatus) } }))
      assert.ok(overloaded instanceof OpenAI.APIError && overloaded.status === 503, String(overloaded))
      // The raw envelope, streamed request included: JSON before any event.
      const raw = await postResponses(relay, { input: 'x', stream: true }, { 'x-mock-status': '429', 'x-mock-retry-after': '7' })
      assert.equal(raw.status, 429)
      assert.equal(raw.headers['retry-after'], '7')
      assert.match(String(raw.headers['content-type']), /application\/json/)
      assert.deepEqual(Object.keys((JSON.parse(raw.text) as { error: Json }).error).sort(), ['code', 'message', 'param', 'type'])
      for (const error of [limited, bad, overloaded]) assert.ok(!JSON.stringify(error).includes(KEY), 'no key in an error')
      assert.ok(!raw.text.includes(KEY))
      assert.ok(!relay.logs.join('\n').includes(KEY), 'no key in the logs')
    })

    test('7 an error mid-stream: the stream ends with error and response.failed, nothing completes after it, the SDK\'s iteration throws', async (t) => {
      const { client, relay } = await setup(t, provider)
      const breaking = { 'x-mock-stream-error': 'true', 'x-mock-chunks': '6' }
      const raw = await postResponses(relay, { input: 'x', stream: true }, breaking)
      assert.equal(raw.status, 200)
      const stream = checkResponsesStream(raw.text, { model: MODEL, ended: 'failed' })
      const errorAt = stream.types.indexOf('error')
      assert.ok(errorAt > 0, `an error event: ${stream.types.join(', ')}`)
      assert.deepEqual(stream.types.slice(errorAt), ['error', 'response.failed'])
      assert.ok(!stream.types.includes('response.completed') && !stream.types.includes('response.incomplete'))
      assert.ok(stream.text.length > 0 && TEXT.startsWith(stream.text), 'what came before the break was relayed')
      const error = stream.events[errorAt]!.data
      assert.equal(typeof error.message, 'string')
      assert.equal(typeof asRecord(error.error).message, 'string', 'OpenAI\'s nested error, which the SDK raises')
      assert.equal(asRecord(stream.response).status, 'failed')
      assert.equal(typeof asRecord(stream.response.error).message, 'string')
      assert.ok(!raw.text.includes(KEY))

      const events = await client.responses.create({ model: MODEL, input: 'x', stream: true }, { headers: breaking })
      const seen: string[] = []
      const thrown = await rejection(
        (async () => {
          for await (const event of events) seen.push(event.type)
        })(),
      )
      assert.ok(thrown instanceof OpenAI.APIError, String(thrown))
      assert.ok(seen.includes('response.created'))
      assert.ok(!seen.includes('response.completed'))
      const helper = await rejection(client.responses.stream({ model: MODEL, input: 'x' }, { headers: breaking }).finalResponse())
      assert.ok(helper instanceof OpenAI.APIError, String(helper))
    })

    // Replicate: the mock's truncate fault cuts the prediction's create call, before any stream (its in-band error is the case above).
    if (kind !== 'replicate') {
      test('7 a connection cut mid-stream: the stream ends with error and response.failed, what came is kept in the failed response', async (t) => {
        const { client, relay } = await setup(t, provider)
        const cutting = { 'x-mock-fault': 'truncate', 'x-mock-chunks': '8' }
        const raw = await postResponses(relay, { input: 'x', stream: true }, cutting)
        assert.equal(raw.status, 200)
        const stream = checkResponsesStream(raw.text, { model: MODEL, ended: 'failed' })
        assert.deepEqual(stream.types.slice(-2), ['error', 'response.failed'])
        const error = stream.events.at(-2)!.data
        assert.equal(error.code, 'RELAY_ERR_UPSTREAM_STREAM_BROKEN')
        const failed = stream.response
        assert.equal(asRecord(failed.error).code, 'RELAY_ERR_UPSTREAM_STREAM_BROKEN')
        const kept = asRecord(asList(failed.output)[0])
        assert.equal(kept.status, 'incomplete', 'the item the cut left open is incomplete')
        assert.equal(asRecord(asList(kept.content)[0]).text, stream.text)
        const thrown = await rejection(client.responses.stream({ model: MODEL, input: 'x' }, { headers: cutting }).finalResponse())
        assert.ok(thrown instanceof OpenAI.APIError, String(thrown))
      })
    }

    test('8 a client that leaves mid-stream cancels the upstream request', async (t) => {
      const { relay, mock } = await setup(t, provider)
      const leaving = new AbortController()
      const answer = await request(`${relay.url}/v1/responses`, {
        method: 'POST',
        signal: leaving.signal,
        headers: { 'content-type': 'application/json', 'x-mock-chunks': '200', 'x-mock-chunk-delay-ms': '100' },
        body: JSON.stringify({ model: MODEL, stream: true, input: 'a long answer, please' }),
      })
      assert.equal(answer.statusCode, 200)
      let received = ''
      try {
        for await (const chunk of answer.body) {
          received += (chunk as Buffer).toString('utf8')
          if (received.includes('response.output_text.delta')) break
        }
      } finally {
        leaving.abort()
      }
      assert.match(received, /response\.output_text\.delta/)
      await eventually(() => mock.requests.some((one) => one.aborted), 2000)
      assert.ok(mock.requests.some((one) => one.aborted), 'the upstream request was cancelled')
    })
  })
}

describe('responses passthrough: an openai upstream with responsesApi: true', () => {
  const upstream = (url: string, extra: object = {}) => ({ provider: 'openai' as const, url, keys: [KEY], responsesApi: true, ...extra })

  /** The mock's own answer to a body, straight from it, for comparing with what the gateway relayed. */
  async function direct(mock: MockUpstream, body: string, headers: Record<string, string> = {}): Promise<string> {
    const answer = await request(`${mock.url}/v1/responses`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body })
    return answer.body.text()
  }

  /** The mock's answers differ only in its request number and the clock. */
  const normalise = (text: string) => text.replace(/_mock_\d+/g, '_mock_N').replace(/"(created_at|completed_at)":\d+/g, '"$1":T')

  test('6 the request goes to /v1/responses byte for byte with the key swapped, and the answer comes back byte for byte, plain and streamed', async (t) => {
    const mock = await startMock(t)
    const relay = await startRelay(t, { routes: [{ path: '/', upstreams: [upstream(mock.url)] }] })
    // Odd spacing, an unusual key order and fields the gateway knows nothing of: all must arrive as sent.
    const plainBody = '{ "input" : [{"role":"user","content":"hello"}],\n "model":"gpt-4o-mini", "metadata": {"b":"2","a":"1"}, "truncation":"auto", "x_future_field": [1, 2.50, "ü"] }'
    const plain = await postResponses(relay, plainBody)
    assert.equal(plain.status, 200)
    const [received] = mock.requests
    assert.equal(received!.url, '/v1/responses')
    assert.equal(received!.method, 'POST')
    assert.equal(received!.body.toString('utf8'), plainBody, 'the body byte for byte')
    assert.equal(received!.headers.authorization, `Bearer ${KEY}`, 'the upstream key, swapped in')
    assert.ok(!JSON.stringify(received!.headers).includes(CLIENT_TOKEN), 'never the client token')
    assert.equal(normalise(plain.text), normalise(await direct(mock, plainBody)), 'the mock\'s answer as it sent it')
    assert.equal((JSON.parse(plain.text) as Json).id, 'resp_mock_1', 'the upstream\'s id untouched')
    assert.equal(plain.headers['x-relay-dropped-params'], undefined)

    const streamBody = '{"model":"gpt-4o-mini","stream":true,  "input":"hello","store":false}'
    const streamed = await postResponses(relay, streamBody)
    assert.equal(streamed.status, 200)
    assert.equal(mock.requests[2]!.body.toString('utf8'), streamBody)
    assert.match(String(streamed.headers['content-type']), /^text\/event-stream/)
    assert.equal(normalise(streamed.text), normalise(await direct(mock, streamBody)), 'the mock\'s events as it sent them')
    checkResponsesStream(streamed.text, { model: MODEL, ended: 'completed' })

    // The SDK reads the passthrough like any Responses answer.
    const client = new OpenAI({ apiKey: CLIENT_TOKEN, baseURL: `${relay.url}/v1`, maxRetries: 0 })
    const response = await client.responses.create({ model: MODEL, input: 'hello' })
    assert.equal(response.output_text, TEXT)
    assert.equal(response.id, `resp_mock_${mock.requests.length}`)
    assert.ok(mock.requests.every((one) => one.url === '/v1/responses'))
  })

  test('6 server state passes through to an upstream that keeps it: previous_response_id and store: true get no 400', async (t) => {
    const mock = await startMock(t)
    const relay = await startRelay(t, { routes: [{ path: '/', upstreams: [upstream(mock.url)] }] })
    const body = '{"model":"gpt-4o-mini","input":"and then?","previous_response_id":"resp_earlier","store":true,"background":false,"tools":[{"type":"web_search"}]}'
    const answer = await postResponses(relay, body)
    assert.equal(answer.status, 200, answer.text)
    assert.equal(mock.requests[0]!.body.toString('utf8'), body)
    const response = JSON.parse(answer.text) as Json
    assert.equal(response.previous_response_id, 'resp_earlier')
    assert.equal(response.store, true)
    const streamed = await postResponses(relay, '{"model":"gpt-4o-mini","input":"and then?","previous_response_id":"resp_earlier","store":true,"stream":true}')
    assert.equal(streamed.status, 200)
    checkResponsesStream(streamed.text, { model: MODEL, ended: 'completed' })
  })

  test('6 a model map renames the model in the body and nothing else', async (t) => {
    const mock = await startMock(t)
    const relay = await startRelay(t, { routes: [{ path: '/', upstreams: [upstream(mock.url, { models: { map: { [MODEL]: 'gpt-4.1-upstream' } } })] }] })
    const sent = { model: MODEL, input: [{ role: 'user', content: 'hello' }], instructions: 'Be brief.', metadata: { z: '1', a: '2' }, temperature: 0.25, stream: true }
    const answer = await postResponses(relay, JSON.stringify(sent))
    assert.equal(answer.status, 200)
    const received = JSON.parse(mock.requests[0]!.body.toString('utf8')) as Json
    assert.deepEqual(received, { ...sent, model: 'gpt-4.1-upstream' })
    assert.deepEqual(Object.keys(received), Object.keys(sent), 'the fields in their order')
    assert.equal(mock.requests[0]!.url, '/v1/responses')
  })

  test('6/7 errors pass through: the upstream\'s 400 and 429 (Retry-After) reach the SDK, a broken stream ends in its error event and the iteration throws', async (t) => {
    const mock = await startMock(t)
    const relay = await startRelay(t, { routes: [{ path: '/', upstreams: [upstream(mock.url)] }] })
    const client = new OpenAI({ apiKey: CLIENT_TOKEN, baseURL: `${relay.url}/v1`, maxRetries: 0 })
    const bad = await rejection(client.responses.create({ model: MODEL, input: 'x' }, { headers: { 'x-mock-status': '400' } }))
    assert.ok(bad instanceof OpenAI.BadRequestError, String(bad))
    const limited = await rejection(client.responses.create({ model: MODEL, input: 'x' }, { headers: { 'x-mock-status': '429', 'x-mock-retry-after': '7' } }))
    assert.ok(limited instanceof OpenAI.RateLimitError, String(limited))
    assert.equal(limited.headers.get('retry-after'), '7')
    const raw = await postResponses(relay, { input: 'x', stream: true }, { 'x-mock-stream-error': 'true' })
    const events = parseEvents(raw.text)
    const types = events.map(({ data }) => data.type)
    assert.equal(types[0], 'response.created')
    assert.ok(types.includes('error'), `an error event: ${types.join(', ')}`)
    assert.ok(!types.includes('response.completed'))
    assert.ok(['error', 'response.failed'].includes(String(types.at(-1))))
    const stream = await client.responses.create({ model: MODEL, input: 'x', stream: true }, { headers: { 'x-mock-stream-error': 'true' } })
    const thrown = await rejection(
      (async () => {
        for await (const event of stream) assert.notEqual(event.type, 'response.completed')
      })(),
    )
    assert.ok(thrown instanceof OpenAI.APIError, String(thrown))
    for (const text of [raw.text, JSON.stringify(bad), JSON.stringify(limited)]) assert.ok(!text.includes(KEY))
  })

  test('6/7 a passed-through stream the upstream cuts ends with an error event the SDK raises', async (t) => {
    const mock = await startMock(t)
    const relay = await startRelay(t, { routes: [{ path: '/', upstreams: [upstream(mock.url)] }] })
    const cutting = { 'x-mock-fault': 'truncate', 'x-mock-chunks': '8' }
    const raw = await postResponses(relay, { input: 'x', stream: true }, cutting)
    const events = parseEvents(raw.text)
    assert.equal(events[0]!.data.type, 'response.created')
    // The gateway does not follow a relayed stream's numbering: its error event says 0 (src/dialects/openai-responses/errors.ts).
    assert.equal(events.at(-1)!.data.type, 'error')
    assert.equal(events.at(-1)!.event, 'error')
    assert.equal(events.at(-1)!.data.code, 'RELAY_ERR_UPSTREAM_STREAM_BROKEN')
    assert.ok(!events.some(({ data }) => data.type === 'response.completed'))
    const client = new OpenAI({ apiKey: CLIENT_TOKEN, baseURL: `${relay.url}/v1`, maxRetries: 0 })
    const thrown = await rejection(client.responses.stream({ model: MODEL, input: 'x' }, { headers: cutting }).finalResponse())
    assert.ok(thrown instanceof OpenAI.APIError, String(thrown))
  })

  test('6/9 a passed-through answer is metered from its Responses usage: records say openai-responses with the upstream\'s tokens, quotas settle with them', async (t) => {
    await withinOneWindow()
    const mock = await startMock(t)
    const relay = await startRelay(t, { records: { flushInterval: '50ms' }, limits: { tokens: [{ limit: '100000/minute' }] }, routes: [{ path: '/', upstreams: [upstream(mock.url)] }] })
    const client = new OpenAI({ apiKey: CLIENT_TOKEN, baseURL: `${relay.url}/v1`, maxRetries: 0 })
    const input = 'Say hello straight through.'
    const estimate = estimatePromptTokens({ model: MODEL, input })
    const { data: plain, response: head } = await client.responses.create({ model: MODEL, input }).withResponse()
    assert.equal(Number(head.headers.get('x-ratelimit-remaining-tokens')), 100_000 - estimate)
    await allFinished(relay.url)
    const streamed = await client.responses.stream({ model: MODEL, input }).finalResponse()
    await allFinished(relay.url)
    const { response: third } = await client.responses.create({ model: MODEL, input }).withResponse()
    assert.equal(Number(third.headers.get('x-ratelimit-remaining-tokens')), 100_000 - plain.usage!.total_tokens - streamed.usage!.total_tokens - estimate)
    const store = createRecordStore({ backend: 'sqlite', path: join(relay.dir, 'data', 'records.sqlite') })
    try {
      let found: RequestRecord[] = []
      for (let tries = 0; tries < 600 && found.length < 3; tries++) {
        found = await store.query({})
        if (found.length < 3) await new Promise((resolve) => setTimeout(resolve, 50))
      }
      assert.equal(found.length, 3)
      for (const record of found) {
        assert.equal(record.dialect, 'openai-responses')
        assert.equal(record.provider, 'openai')
        assert.equal(record.tokensSource, 'upstream')
        assert.equal(record.totalTokens, plain.usage!.total_tokens)
        assert.equal(record.promptTokens, plain.usage!.input_tokens)
      }
      assert.deepEqual(found.map((record) => record.stream).sort(), [false, false, true])
    } finally {
      await store.close()
    }
  })

  test('6 a client leaving a passed-through stream cancels the upstream request', async (t) => {
    const mock = await startMock(t)
    const relay = await startRelay(t, { routes: [{ path: '/', upstreams: [upstream(mock.url)] }] })
    const leaving = new AbortController()
    const answer = await request(`${relay.url}/v1/responses`, {
      method: 'POST',
      signal: leaving.signal,
      headers: { 'content-type': 'application/json', 'x-mock-chunks': '200', 'x-mock-chunk-delay-ms': '100' },
      body: JSON.stringify({ model: MODEL, stream: true, input: 'long' }),
    })
    for await (const chunk of answer.body) {
      assert.ok((chunk as Buffer).length > 0)
      break
    }
    leaving.abort()
    await eventually(() => mock.requests[0]?.aborted === true, 2000)
  })

  test('6 responsesApi unset on an OpenAI-compatible URL translates to chat completions; set to false it does too', async (t) => {
    const mock = await startMock(t)
    const relay = await startRelay(t, {
      routes: [
        { path: '/off', upstreams: [upstream(mock.url, { responsesApi: false })] },
        { path: '/', upstreams: [{ url: mock.url, keys: [KEY] }] },
      ],
    })
    for (const prefix of ['', '/off']) {
      const client = new OpenAI({ apiKey: CLIENT_TOKEN, baseURL: `${relay.url}${prefix}/v1`, maxRetries: 0 })
      const response = await client.responses.create({ model: MODEL, input: 'hello' })
      assert.equal(response.output_text, TEXT)
      assert.equal(mock.requests.at(-1)!.url, '/v1/chat/completions')
    }
  })
})

describe('responses in: what else the gateway does applies', () => {
  test('9 a model map on a translated upstream: the upstream gets its name, the client sees its alias', async (t) => {
    for (const provider of [anthropicCase, openaiCase]) {
      const mock = await startMock(t)
      const relay = await startRelay(t, { routes: [{ path: '/', upstreams: [{ ...provider.upstream(mock.url, KEY), models: { map: { [MODEL]: 'upstream-model-7' } } }] }] })
      const client = new OpenAI({ apiKey: CLIENT_TOKEN, baseURL: `${relay.url}/v1`, maxRetries: 0 })
      const response = await client.responses.create({ model: MODEL, input: 'hello' })
      assert.equal(response.model, MODEL)
      const streamed = await client.responses.stream({ model: MODEL, input: 'hello' }).finalResponse()
      assert.equal(streamed.model, MODEL)
      for (const received of mock.requests) assert.equal((JSON.parse(received.body.toString('utf8')) as Json).model, 'upstream-model-7', provider.name)
    }
  })

  test('9 a request-rate limit answers 429 in OpenAI\'s envelope, and the upstream is not asked', async (t) => {
    await withinOneWindow()
    const { client, mock } = await setup(t, anthropicCase, { config: { limits: { requests: [{ limit: '1/minute' }] } } })
    await client.responses.create({ model: MODEL, input: 'hello' })
    const limited = await rejection(client.responses.create({ model: MODEL, input: 'hello' }))
    assert.ok(limited instanceof OpenAI.RateLimitError, String(limited))
    assert.equal(limited.code, 'RELAY_ERR_RATE_LIMITED')
    assert.equal(limited.type, 'rate_limit_error')
    assert.ok(Number(limited.headers.get('retry-after')) >= 1)
    assert.equal(mock.requests.length, 1)
  })

  test('9 token quotas reserve the Responses prompt estimate plus max_output_tokens and settle with the translated usage', async (t) => {
    await withinOneWindow()
    const { relay } = await setup(t, anthropicCase, { config: { limits: { tokens: [{ limit: '100000/minute' }] } } })
    const body = { input: 'Say hello through another provider.', instructions: INSTRUCTIONS }
    const estimate = estimatePromptTokens({ model: MODEL, ...body })
    assert.ok(estimate > 0)
    const ask = async (stream: boolean, maxTokens: number) => {
      const answer = await postResponses(relay, { ...body, stream, max_output_tokens: maxTokens })
      assert.equal(answer.status, 200)
      const response = stream ? checkResponsesStream(answer.text, { model: MODEL, ended: 'completed' }).response : (JSON.parse(answer.text) as Json)
      return { remaining: Number(answer.headers['x-ratelimit-remaining-tokens']), used: asRecord(response.usage).total_tokens as number }
    }
    const first = await ask(false, 100)
    assert.equal(first.remaining, 100_000 - (estimate + 100))
    await allFinished(relay.url)
    const second = await ask(true, 50)
    assert.equal(second.remaining, 100_000 - first.used - (estimate + 50), 'the first request cost its usage')
    await allFinished(relay.url)
    const third = await ask(false, 10)
    assert.equal(third.remaining, 100_000 - first.used - second.used - (estimate + 10), 'the streamed one too')
  })

  test('9 records note dialect openai-responses, the provider, the path and the tokens (SQLite)', async (t) => {
    const { client, relay } = await setup(t, anthropicCase, { config: { records: { flushInterval: '50ms' } } })
    const plain = await client.responses.create({ model: MODEL, input: 'hello' })
    const streamed = await client.responses.stream({ model: MODEL, input: 'hello' }).finalResponse()
    const store = createRecordStore({ backend: 'sqlite', path: join(relay.dir, 'data', 'records.sqlite') })
    try {
      let found: RequestRecord[] = []
      for (let tries = 0; tries < 600 && found.length < 2; tries++) {
        found = await store.query({})
        if (found.length < 2) await new Promise((resolve) => setTimeout(resolve, 50))
      }
      assert.equal(found.length, 2)
      const byStream = new Map(found.map((record) => [record.stream, record]))
      for (const [stream, response] of [
        [false, plain],
        [true, streamed],
      ] as const) {
        const record = byStream.get(stream)
        assert.ok(record !== undefined)
        assert.equal(record.dialect, 'openai-responses')
        assert.equal(record.path, '/v1/responses')
        assert.equal(record.provider, 'anthropic')
        assert.equal(record.model, MODEL)
        assert.equal(record.status, 200)
        assert.equal(record.totalTokens, response.usage?.total_tokens)
        assert.equal(record.tokensSource, 'upstream')
      }
    } finally {
      await store.close()
    }
  })

  test('9 the cache serves a second identical Responses request as a HIT with the same answer, plain and streamed', async (t) => {
    for (const provider of [anthropicCase, openaiCase]) {
      const { client, relay, generations } = await setup(t, provider, { route: { cache: { mode: 'always' } } })
      const { data: first, response: miss } = await client.responses.create({ model: MODEL, input: 'cache me' }).withResponse()
      assert.equal(miss.headers.get('x-relay-cache'), 'MISS')
      await allFinished(relay.url)
      const { data: again, response: hit } = await client.responses.create({ model: MODEL, input: 'cache me' }).withResponse()
      assert.equal(hit.headers.get('x-relay-cache'), 'HIT', provider.name)
      assert.deepEqual(again, first)
      assert.equal(generations().length, 1, 'the upstream was asked once')

      const streamedMiss = await postResponses(relay, { input: 'cache me too', stream: true })
      assert.equal(streamedMiss.headers['x-relay-cache'], 'MISS')
      await allFinished(relay.url)
      const streamedHit = await postResponses(relay, { input: 'cache me too', stream: true })
      assert.equal(streamedHit.headers['x-relay-cache'], 'HIT', provider.name)
      const replayed = checkResponsesStream(streamedHit.text, { model: MODEL, ended: 'completed' })
      assert.equal(replayed.text, TEXT)
      assert.equal(streamedHit.text, streamedMiss.text, 'replayed as the client first got it')
      assert.equal(generations().length, 2)
    }
  })
})

describe('responses in: a Codex-like session', () => {
  const codexTools: Tool[] = [
    {
      type: 'function',
      name: 'shell',
      description: 'Runs a shell command and returns its output.',
      strict: false,
      parameters: { type: 'object', properties: { command: { type: 'array', items: { type: 'string' } }, workdir: { type: 'string' }, timeout_ms: { type: 'number' } }, required: ['command'], additionalProperties: false },
    },
    {
      type: 'function',
      name: 'apply_patch',
      description: 'Use the `apply_patch` tool to edit files.',
      strict: false,
      parameters: { type: 'object', properties: { input: { type: 'string', description: 'The entire contents of the apply_patch command' } }, required: ['input'], additionalProperties: false },
    },
    {
      type: 'function',
      name: 'update_plan',
      description: 'Updates the task plan.',
      strict: false,
      parameters: {
        type: 'object',
        properties: { explanation: { type: 'string' }, plan: { type: 'array', items: { type: 'object', properties: { step: { type: 'string' }, status: { type: 'string' } }, required: ['step', 'status'], additionalProperties: false } } },
        required: ['plan'],
        additionalProperties: false,
      },
    },
  ]
  const codexInstructions = "You are Codex, based on GPT-5. You are running as a coding agent in the Codex CLI on a user's computer."
  const codexRequest = {
    model: MODEL,
    instructions: codexInstructions,
    input: [
      { type: 'message', role: 'developer', content: [{ type: 'input_text', text: '<permissions instructions>Filesystem sandboxing: workspace-write. Approvals: on-request.</permissions instructions>' }] },
      { type: 'message', role: 'user', content: [{ type: 'input_text', text: '<environment_context>\n  <cwd>/work/project</cwd>\n  <shell>bash</shell>\n</environment_context>' }] },
      { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Run the tests and fix what fails.' }] },
    ],
    tools: codexTools,
    tool_choice: 'auto',
    parallel_tool_calls: false,
    reasoning: { effort: 'medium', summary: 'auto' },
    store: false,
    stream: true,
    include: ['reasoning.encrypted_content'],
    prompt_cache_key: '0199a2b4-5c6d-7e8f-9a0b-1c2d3e4f5a6b',
  }
  const expectedEvents = [
    'response.created',
    'response.in_progress',
    'response.output_item.added',
    'response.content_part.added',
    'response.reasoning_text.delta',
    'response.reasoning_text.done',
    'response.content_part.done',
    'response.output_item.done',
    'response.output_item.added',
    'response.function_call_arguments.delta',
    'response.function_call_arguments.done',
    'response.output_item.done',
    'response.completed',
  ]

  for (const provider of [openaiCase, anthropicCase]) {
    test(`10 Codex against ${provider.name}: the event sequence, a function_call in the completed output, the dropped fields named, and the next turn`, async (t) => {
      const kind = kindOf(provider)
      const { relay, lastBody } = await setup(t, provider)
      const answer = await postResponses(relay, JSON.stringify(codexRequest), { 'x-mock-reasoning': 'true', originator: 'codex_cli_rs', 'user-agent': 'codex_cli_rs/0.46.0' })
      assert.equal(answer.status, 200, answer.text)
      const stream = checkResponsesStream(answer.text, { model: MODEL, ended: 'completed' })
      assert.deepEqual(foldDeltas(stream.types), expectedEvents)
      const output = asList(stream.response.output).map(asRecord)
      assert.deepEqual(
        output.map((item) => item.type),
        ['reasoning', 'function_call'],
      )
      const [call] = functionCalls(output)
      assert.equal(call!.name, 'shell')
      assert.ok(call!.call_id !== '')
      assert.equal(stream.arguments.get(call!.id), call!.arguments)
      assert.deepEqual(JSON.parse(call!.arguments), { location: 'Paris', call: 0 })

      const dropped = String(answer.headers['x-relay-dropped-params'] ?? '').split(', ')
      for (const field of ['include', 'prompt_cache_key', 'reasoning.summary']) assert.ok(dropped.includes(field), `${field} named as dropped: ${dropped.join(', ')}`)
      for (const field of ['model', 'input', 'instructions', 'tools', 'tool_choice', 'parallel_tool_calls', 'reasoning', 'reasoning.effort', 'stream']) assert.ok(!dropped.includes(field), `${field} was translated, not dropped`)

      const body = lastBody()
      const native = nativeTools(kind, body)
      assert.deepEqual(native.names, ['shell', 'apply_patch', 'update_plan'])
      assert.deepEqual(native.choice, expectedChoice(kind, 'auto', true))
      if (kind === 'anthropic') assert.equal(asRecord(body.thinking).type, 'enabled', 'reasoning effort as a thinking budget')
      else assert.equal(body.reasoning_effort, 'medium')
      const text = JSON.stringify(body)
      assert.ok(String(provider.systemPrompt(body)).includes(codexInstructions), 'the instructions in the system slot')
      for (const gone of ['prompt_cache_key', 'encrypted_content', 'store']) assert.ok(!text.includes(gone), `${gone} not sent`)

      // The next turn, as Codex sends it: everything again, plus the reasoning item, the call and its output.
      const next = {
        ...codexRequest,
        input: [
          ...codexRequest.input,
          ...output,
          { type: 'function_call_output', call_id: call!.call_id, output: '{"output":"2 passed, 1 failed","metadata":{"exit_code":1}}' },
        ],
      }
      const turn = await postResponses(relay, JSON.stringify(next))
      assert.equal(turn.status, 200, turn.text)
      checkResponsesStream(turn.text, { model: MODEL, ended: 'completed' })
      const results = provider.toolResults(lastBody())
      assert.deepEqual(
        results.flatMap((one) => one.ids),
        [call!.call_id],
      )
      assert.equal(JSON.stringify(lastBody()).split(codexInstructions).length - 1, 1, 'the instructions once')
    })
  }
})

describe('responses in: fields named as the client sent them', () => {
  test(
    'a provider\'s refusal or drop names the Responses field the client sent (text.format, text.verbosity, reasoning.effort), not the chat completions field it was translated to',
    async (t) => {
      const replicate = await setup(t, replicateCase)
      const schema = await rejection(replicate.client.responses.create({ model: MODEL, input: 'x', text: { format: { type: 'json_schema', name: 'a', schema: { type: 'object' } } } }))
      assert.ok(schema instanceof OpenAI.BadRequestError)
      assert.equal(schema.param, 'text.format')
      const image = await rejection(replicate.client.responses.create({ model: MODEL, input: [{ role: 'user', content: [{ type: 'input_image', image_url: 'https://example.com/a.png', detail: 'auto' }] }] }))
      assert.ok(image instanceof OpenAI.BadRequestError)
      // Paths into the conversation are the translated message list's (instructions become its first message): left as they are.
      assert.match(String(image.param), /content\[0\]/)
      const anthropic = await setup(t, anthropicCase)
      const { response } = await anthropic.client.responses.create({ model: MODEL, input: 'x', text: { format: { type: 'json_object' }, verbosity: 'low' }, reasoning: { effort: 'minimal' } }).withResponse()
      assert.deepEqual(
        (response.headers.get('x-relay-dropped-params') ?? '').split(', ').sort(),
        ['reasoning.effort', 'text.format', 'text.verbosity'],
      )
    },
  )
})
