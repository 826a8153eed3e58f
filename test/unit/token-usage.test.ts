import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ChatAssembler } from '../../src/answers/chat-assembler.js'
import { withoutNullUsage } from '../../src/answers/stream-usage.js'
import { UsageMeter } from '../../src/answers/usage-meter.js'
import { OpenAIChunkReader, readAnswer } from '../../src/dialects/openai-chat/read.js'
import { OpenAIAnswerTap } from '../../src/dialects/openai-chat/tap.js'
import { countTextTokens, estimatePromptTokens, loadTokenizer, maxOutputTokens } from '../../src/limits/token-count.js'
import { SseSplitter, eventData } from '../../src/upstream/sse.js'

await loadTokenizer()

/** A meter with the tap that reads an OpenAI answer into it, as the relay sets them up. */
function tapped(): { meter: UsageMeter; tap: OpenAIAnswerTap } {
  const meter = new UsageMeter()
  return { meter, tap: new OpenAIAnswerTap(meter) }
}

test('SseSplitter cuts at blank lines of any line ending, across chunks, and keeps each event whole', () => {
  const splitter = new SseSplitter()
  const out: string[] = []
  const feed = (text: string) => out.push(...splitter.push(Buffer.from(text)).map((event) => event.toString()))
  feed('data: a\n')
  feed('\ndata: b\r\n\r')
  feed('\ndata: c\n\ndata: d')
  assert.deepEqual(out, ['data: a\n\n', 'data: b\r\n\r\n', 'data: c\n\n'])
  assert.equal(splitter.rest()?.toString(), 'data: d')
  assert.equal(eventData(Buffer.from('event: x\ndata: one\ndata:two\n\n')), 'one\ntwo')
  assert.equal(eventData(Buffer.from(': comment\n\n')), undefined)
})

test('withoutNullUsage takes out only the usage: null member, never text the model wrote', () => {
  const event = Buffer.from('data: {"id":"x","choices":[{"delta":{"content":",\\"usage\\":null"}}],"usage":null}\n\n')
  assert.equal(withoutNullUsage(event).toString(), 'data: {"id":"x","choices":[{"delta":{"content":",\\"usage\\":null"}}]}\n\n')
  const spaced = Buffer.from('data: {"a":1, "usage" : null }\n\n')
  assert.equal(withoutNullUsage(spaced).toString(), 'data: {"a":1 }\n\n')
  const plain = Buffer.from('data: {"a":1}\n\n')
  assert.equal(withoutNullUsage(plain), plain, 'an event without usage is the same buffer')
  const real = Buffer.from('data: {"choices":[],"usage":{"prompt_tokens":1}}\n\n')
  assert.equal(withoutNullUsage(real), real, 'a real usage object is left alone')
})

test('UsageMeter reads the counts of a plain answer without JSON.parse exactly as parsing the whole answer does', () => {
  const usages = [
    '{"prompt_tokens":3,"completion_tokens":3,"total_tokens":6}',
    '{ "prompt_tokens" : 12 ,\n\t"completion_tokens": 0, "total_tokens":12 }',
    // Members of the same names one level down are not the counts, before or after the real ones.
    '{"prompt_tokens_details":{"prompt_tokens":99,"cached_tokens":1},"prompt_tokens":3,"completion_tokens":4,"total_tokens":7}',
    '{"prompt_tokens":3,"completion_tokens":4,"total_tokens":7,"prompt_tokens_details":{"prompt_tokens":99,"cached_tokens":1}}',
    '{"prompt_tokens":2,"completion_tokens":3,"list":["a",{"prompt_tokens":8},"b"]}',
    '{"input_tokens":5,"output_tokens":6,"total_tokens":11}',
    // Left to JSON.parse: a null, a fraction, an exponent, a negative, a leading zero, an escaped name, a huge count, a string.
    '{"prompt_tokens":null,"input_tokens":4,"output_tokens":2}',
    '{"prompt_tokens":3.5,"completion_tokens":1,"total_tokens":4.5}',
    '{"prompt_tokens":1e2,"completion_tokens":1}',
    '{"prompt_tokens":-3,"completion_tokens":1,"input_tokens":9}',
    '{"prompt_tokens":07,"completion_tokens":1}',
    '{"prompt\\u005ftokens":5,"completion_tokens":1}',
    '{"prompt_tokens":12345678901234567890,"completion_tokens":1}',
    '{"prompt_tokens":"3","completion_tokens":1}',
    // The last of a repeated member counts, as with JSON.parse.
    '{"prompt_tokens":1,"prompt_tokens":2,"completion_tokens":3}',
    '{"completion_tokens":3}',
    '{}',
  ]
  for (const usage of usages) {
    const body = `{"id":"x","choices":[{"message":{"content":"four words of text"}}],"usage":${usage}}`
    const scanned = tapped()
    scanned.tap.chunk(Buffer.from(body))
    scanned.tap.end()
    const parsed = new UsageMeter()
    let answer: Record<string, unknown> | undefined
    try {
      answer = JSON.parse(body) as Record<string, unknown>
    } catch {
      answer = undefined
    }
    if (answer !== undefined) readAnswer(answer, parsed)
    assert.deepEqual(scanned.meter.usageOr(17), parsed.usageOr(17), usage)
  }
  // The usage first and a long answer after it: found however far from the end, also where the
  // key starts just before, at or just after the stretch searched first (the last 512 bytes). (A miss
  // there would still come out right, from parsing the whole answer: this checks the result only.)
  const head = '{"id":"chatcmpl-1","usage":{"prompt_tokens":3,"completion_tokens":4},"pad":"'
  const keyAt = head.indexOf('"usage"')
  for (const length of [200, 5000, ...[-4, -3, -2, -1, 0, 1, 2, 3, 4].map((offset) => 512 + keyAt + offset)]) {
    const { meter, tap } = tapped()
    tap.chunk(Buffer.from(`${head}${'x'.repeat(length - head.length - 2)}"}`))
    tap.end()
    assert.deepEqual(meter.usageOr(0), { promptTokens: 3, completionTokens: 4, totalTokens: 7, source: 'upstream' }, `an answer of ${length} bytes`)
  }
})

test('UsageMeter: usage from a plain answer, from the usage chunk of a stream, from Responses, else counted text', () => {
  const plain = tapped()
  const body = Buffer.from(JSON.stringify({ choices: [{ message: { content: 'hi' } }], usage: { prompt_tokens: 7, completion_tokens: 2, total_tokens: 9 } }))
  plain.tap.chunk(body.subarray(0, 10))
  plain.tap.chunk(body.subarray(10))
  plain.tap.end()
  assert.deepEqual(plain.meter.usageOr(100), { promptTokens: 7, completionTokens: 2, totalTokens: 9, source: 'upstream' })

  // Usage read from the tail without parsing the answer; a null usage is none (the answer is then counted).
  const tail = tapped()
  tail.tap.chunk(Buffer.from('{"choices":[{"message":{"content":"say \\"usage\\": {\\"x\\":1}"}}],"usage" : {"prompt_tokens":2,"completion_tokens":5,"total_tokens":7,"details":{"a":1}}}'))
  tail.tap.end()
  assert.deepEqual(tail.meter.usageOr(0), { promptTokens: 2, completionTokens: 5, totalTokens: 7, source: 'upstream' })
  const nullUsage = tapped()
  nullUsage.tap.chunk(Buffer.from('{"choices":[{"message":{"content":"four words of text"}}],"usage":null,"x":{"prompt_tokens":9}}'))
  nullUsage.tap.end()
  assert.equal(nullUsage.meter.usageOr(3).source, 'counted')
  assert.equal(nullUsage.meter.usageOr(3).completionTokens, countTextTokens('four words of text'))

  const stream = tapped()
  assert.equal(stream.tap.event(Buffer.from('data: {"choices":[{"delta":{"content":"Hello"}}],"usage":null}\n\n')), false)
  assert.equal(stream.tap.event(Buffer.from('data: {"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":1,"total_tokens":4}}\n\n')), true)
  assert.equal(stream.tap.event(Buffer.from('data: [DONE]\n\n')), false)
  assert.equal(stream.meter.usageOr(100).totalTokens, 4)

  const responses = tapped()
  responses.tap.event(Buffer.from('event: response.completed\ndata: {"type":"response.completed","response":{"usage":{"input_tokens":5,"output_tokens":6,"total_tokens":11}}}\n\n'))
  assert.deepEqual(responses.meter.usageOr(0), { promptTokens: 5, completionTokens: 6, totalTokens: 11, source: 'upstream' })

  const counted = tapped()
  counted.tap.event(Buffer.from('data: {"choices":[{"delta":{"content":"The quick brown fox"}}]}\n\n'))
  counted.tap.event(Buffer.from('data: {"choices":[{"delta":{"tool_calls":[{"function":{"name":"f","arguments":"{\\"a\\":1}"}}]}}]}\n\n'))
  const expected = countTextTokens('The quick brown foxf{"a":1}')
  assert.deepEqual(counted.meter.usageOr(10), { promptTokens: 10, completionTokens: expected, totalTokens: 10 + expected, source: 'counted' })
})

test('estimatePromptTokens counts messages with their framing, tools, prompt and input; maxOutputTokens takes n into account', () => {
  const text = 'How many tokens is this sentence?'
  const chat = estimatePromptTokens({ messages: [{ role: 'user', content: text }] })
  assert.equal(chat, 3 + countTextTokens('user') + countTextTokens(text) + 3)
  const parts = estimatePromptTokens({ messages: [{ role: 'user', content: [{ type: 'text', text }, { type: 'image_url', image_url: { url: 'x' } }] }] })
  assert.equal(parts, chat + 255)
  assert.ok(estimatePromptTokens({ messages: [], tools: [{ type: 'function', function: { name: 'lookup' } }] }) > 3)
  assert.equal(estimatePromptTokens({ prompt: text }), countTextTokens(text))
  assert.equal(estimatePromptTokens({ input: [text, text] }), 2 * countTextTokens(text))
  assert.equal(estimatePromptTokens({ input: [[1, 2, 3]] }), 3)
  assert.equal(estimatePromptTokens({ model: 'x' }), 0)
  assert.equal(maxOutputTokens({ max_tokens: 50, n: 2 }), 100)
  assert.equal(maxOutputTokens({ max_completion_tokens: 30, max_tokens: 50 }), 30)
  assert.equal(maxOutputTokens({}), 0)
})

test('ChatAssembler joins streamed content, legacy completion text and tool-call pieces per choice', () => {
  const assembler = new ChatAssembler()
  const reader = new OpenAIChunkReader(assembler)
  reader.chunk({ id: 'c1', created: 1, model: 'm', choices: [{ index: 0, delta: { role: 'assistant', content: '', refusal: null } }] })
  reader.chunk({ choices: [{ index: 0, delta: { content: 'Hel' } }, { index: 1, text: 'leg' }] })
  reader.chunk({ choices: [{ index: 0, delta: { content: 'lo', tool_calls: [{ index: 0, id: 'call_1', type: 'function', function: { name: 'f', arguments: '{"a"' } }] } }, { index: 1, text: 'acy' }] })
  reader.chunk({ choices: [{ index: 0, delta: { tool_calls: [{ index: 0, function: { arguments: ':1}' } }] }, finish_reason: 'tool_calls' }, { index: 1, finish_reason: 'stop' }] })
  const completion = assembler.result()!
  assert.equal(completion.id, 'c1')
  assert.deepEqual(completion.choices[0]!.message, { role: 'assistant', content: 'Hello', tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'f', arguments: '{"a":1}' } }] })
  assert.equal(completion.choices[0]!.finish_reason, 'tool_calls')
  assert.equal(completion.choices[1]!.message.content, 'legacy')
})

test('withoutNullUsage cuts the compact member from the bytes exactly as the expression does, whatever surrounds it', async () => {
  const { default: fc } = await import('fast-check')
  const NULL_USAGE = /,\s*"usage"\s*:\s*null(?=\s*[,}])/g
  const piece = fc.constantFrom(',"usage":null', ',"usage":null}', ',"usage": null', '"usage":null,', ',"usage":{"a":1}', '{"a":"b"', '}', ',', ' ', '"usage"', ':null', 'é', '\\"usage\\":null')
  fc.assert(
    fc.property(fc.array(piece, { maxLength: 8 }), (pieces) => {
      const text = `data: {"id":"x"${pieces.join('')}}\n\n`
      assert.equal(withoutNullUsage(Buffer.from(text)).toString(), text.replace(NULL_USAGE, ''))
    }),
    { seed: 17, numRuns: 2000 },
  )
})

test('a counts-only tap knows the usage-only chunk as it passes (also spaced), and counts the text when the upstream gave no usage', () => {
  const text = (content: string) => Buffer.from(`data: {"choices":[{"index":0,"delta":{"content":${JSON.stringify(content)}}}],"usage":null}\n\n`)
  const usage = Buffer.from('data: {"choices":[],"usage":{"prompt_tokens":4,"completion_tokens":2,"total_tokens":6}}\n\n')
  const reported = tapped()
  assert.equal(reported.tap.event(text('Hello')), false)
  assert.equal(reported.tap.event(text(' there')), false)
  assert.equal(reported.tap.event(usage), true, 'the usage-only chunk is known when it passes (it is hidden from clients that did not ask)')
  assert.deepEqual(reported.meter.usageOr(1), { promptTokens: 4, completionTokens: 2, totalTokens: 6, source: 'upstream' })
  assert.equal(reported.meter.generatedText(), 'Hello there')
  const counted = tapped()
  for (const part of ['One', ' two', ' three']) counted.tap.event(text(part))
  counted.tap.event(Buffer.from('data: [DONE]\n\n'))
  const result = counted.meter.usageOr(5)
  assert.equal(result.source, 'counted')
  assert.equal(result.completionTokens, countTextTokens('One two three'))
  const spaced = tapped()
  assert.equal(spaced.tap.event(Buffer.from('data: {"choices": [], "usage" : {"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}\n\n')), true)
})
