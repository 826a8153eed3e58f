import assert from 'node:assert/strict'

export interface Chunk {
  id: string
  object: string
  created: number
  model: string
  choices: { index: number; delta: Record<string, unknown>; finish_reason: string | null }[]
  usage?: Record<string, unknown> | null
}

/** The `data:` payloads of an SSE text, in order. */
export function sseData(text: string): string[] {
  return text
    .split(/\n\n/)
    .map((event) => event.split('\n').find((line) => line.startsWith('data: '))?.slice(6))
    .filter((data): data is string => data !== undefined)
}

/**
 * translation.md §8, invariant O: what an OpenAI client may rely on in every stream. Returns the
 * chunks (without [DONE]) for the case to check its content.
 */
export function checkOpenAIStream(text: string, options: { withUsage: boolean; model: string }): Chunk[] {
  const data = sseData(text)
  assert.equal(data.at(-1), '[DONE]', 'the stream ends with [DONE]')
  assert.equal(data.filter((item) => item === '[DONE]').length, 1, 'one [DONE]')
  const chunks = data.slice(0, -1).map((item) => JSON.parse(item) as Chunk)
  assert.ok(chunks.length > 0)
  const [head] = chunks
  for (const chunk of chunks) {
    assert.equal(chunk.object, 'chat.completion.chunk')
    assert.equal(chunk.id, head!.id, 'one id on every chunk')
    assert.equal(chunk.created, head!.created, 'one created time on every chunk')
    assert.equal(chunk.model, options.model, 'every chunk names the model the client asked for')
  }
  assert.match(head!.id, /^chatcmpl-/)
  assert.equal(head!.choices[0]?.delta.role, 'assistant', 'the first delta names the role')
  const usageChunks = chunks.filter((chunk) => chunk.choices.length === 0)
  if (options.withUsage) {
    assert.equal(usageChunks.length, 1, 'one usage chunk')
    assert.equal(usageChunks[0], chunks.at(-1), 'the usage chunk comes last')
    assert.ok(usageChunks[0]!.usage !== null && typeof usageChunks[0]!.usage === 'object')
    for (const chunk of chunks.slice(0, -1)) assert.equal(chunk.usage, null, 'usage: null on the other chunks')
  } else {
    assert.equal(usageChunks.length, 0, 'no empty-choices chunk')
    for (const chunk of chunks) assert.equal(chunk.usage, undefined, 'no usage when not asked')
  }
  const finishes = chunks.flatMap((chunk) => chunk.choices.filter((choice) => choice.finish_reason !== null))
  assert.equal(finishes.length, 1, 'one finish reason')
  // A tool call's first fragment names it; later ones carry only its index and arguments.
  const seen = new Set<number>()
  for (const chunk of chunks) {
    for (const call of (chunk.choices[0]?.delta.tool_calls as Record<string, unknown>[] | undefined) ?? []) {
      const index = call.index as number
      const fn = call.function as Record<string, unknown>
      if (!seen.has(index)) {
        assert.equal(index, seen.size, 'tool call indexes dense from 0')
        seen.add(index)
        assert.ok(typeof call.id === 'string' && call.id !== '', 'the first fragment has the id')
        assert.equal(call.type, 'function')
        assert.ok(typeof fn.name === 'string' && fn.name !== '', 'the first fragment has the name')
      } else {
        assert.deepEqual(Object.keys(call).sort(), ['function', 'index'], 'later fragments carry only index and arguments')
        assert.deepEqual(Object.keys(fn), ['arguments'])
      }
    }
  }
  return chunks
}

/** The text, reasoning and tool calls of a stream's chunks joined. */
export function joined(chunks: readonly Chunk[]): { content: string; reasoning: string; calls: { id: string; name: string; arguments: string }[]; finish: string | null } {
  let content = ''
  let reasoning = ''
  let finish: string | null = null
  const calls: { id: string; name: string; arguments: string }[] = []
  for (const chunk of chunks) {
    const choice = chunk.choices[0]
    if (choice === undefined) continue
    const { delta } = choice
    if (typeof delta.content === 'string') content += delta.content
    if (typeof delta.reasoning_content === 'string') reasoning += delta.reasoning_content
    for (const call of (delta.tool_calls as Record<string, unknown>[] | undefined) ?? []) {
      const fn = call.function as Record<string, string>
      const target = (calls[call.index as number] ??= { id: '', name: '', arguments: '' })
      if (typeof call.id === 'string') target.id = call.id
      if (typeof fn.name === 'string') target.name += fn.name
      if (typeof fn.arguments === 'string') target.arguments += fn.arguments
    }
    finish = choice.finish_reason ?? finish
  }
  return { content, reasoning, calls, finish }
}
