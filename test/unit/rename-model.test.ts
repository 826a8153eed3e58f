import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ModelRenamer } from '../../src/upstream/rename-model.js'

const event = (model: string, text: string) => `data: {"id":"x","model":${JSON.stringify(model)},"choices":[{"delta":{"content":${JSON.stringify(text)}}}]}\n\n`

test('every "model":"<upstream>" becomes the client\'s, however the chunks cut it, and nothing else changes', () => {
  const upstream = 'gpt-4o-2024-08-06'
  const answer = event(upstream, 'a') + event(upstream, '"model":"gpt-4o-2024-08-06" as text') + event('other', 'b')
  const expected = event('gpt-4o', 'a') + event('gpt-4o', '"model":"gpt-4o-2024-08-06" as text') + event('other', 'b')
  for (let cut = 1; cut < answer.length; cut++) {
    const renamer = new ModelRenamer(upstream, 'gpt-4o')
    const out = [renamer.push(Buffer.from(answer.slice(0, cut))), renamer.push(Buffer.from(answer.slice(cut)))]
    const rest = renamer.end()
    if (rest !== undefined) out.push(rest)
    assert.equal(Buffer.concat(out).toString(), expected, `cut at ${cut}`)
  }
})

test('a whole SSE event is never held back, and the client\'s name being the start of the upstream\'s makes no false match', () => {
  const renamer = new ModelRenamer('gpt-4o-2024-08-06', 'gpt-4o')
  const first = event('gpt-4o-2024-08-06', 'a')
  assert.equal(renamer.push(Buffer.from(first)).toString(), event('gpt-4o', 'a'))
  // An answer cut right after the client's own name: held only while it could still become the upstream's.
  const held = renamer.push(Buffer.from('{"model":"gpt-4o'))
  assert.equal(held.toString(), '{')
  assert.equal(renamer.push(Buffer.from('"}')).toString(), '"model":"gpt-4o"}')
  assert.equal(renamer.end(), undefined)
})
