import assert from 'node:assert/strict'
import { test } from 'node:test'
import { LogTable } from '../../src/cli/log-table.js'
import type { RequestRecord } from '../../src/records/record.js'

const record = (overrides: Partial<RequestRecord>): RequestRecord => ({
  id: 'r',
  time: Date.UTC(2024, 0, 1),
  method: 'POST',
  path: '/v1/chat/completions',
  stream: false,
  attempts: [],
  status: 200,
  totalMs: 5,
  level: 'meta',
  ...overrides,
})

test('a client-chosen path or an upstream error cannot send escape sequences or break a row', () => {
  const lines: string[] = []
  new LogTable((line) => lines.push(line)).start([record({ path: '/v1/\u001b[2Jx', model: 'm\u0007', error: 'upstream said:\nbad\tthing\r\n' })])
  assert.equal(lines.length, 2)
  const row = lines[1]!
  assert.ok(!/[\u0000-\u001f\u007f-\u009f]/.test(row), JSON.stringify(row))
  assert.match(row, /\/v1\/\?\[2Jx/)
  assert.match(row, /m\? /)
  assert.match(row, /upstream said: bad thing$/)
})

test('rows added later (--follow) keep the widths, and a wider value widens its column from then on', () => {
  const lines: string[] = []
  const table = new LogTable((line) => lines.push(line))
  table.start([record({ model: 'gpt-4o' })])
  table.add(record({ model: 'gpt-4o', status: 404 }))
  table.add(record({ model: 'a-much-longer-model-name', totalMs: 123_456 }))
  const [header, first, second, third] = lines
  const upstream = header!.indexOf('UPSTREAM')
  assert.equal(first!.indexOf('-', header!.indexOf('MODEL') + 6), upstream, 'UPSTREAM lines up in the first rows')
  assert.equal(second!.slice(header!.indexOf('STATUS'), header!.indexOf('STATUS') + 6), '   404')
  assert.ok(third!.includes('a-much-longer-model-name  -'), third)
  // Numbers stay right-aligned within their (wider) column.
  assert.match(third!, / 123456 /)
})
