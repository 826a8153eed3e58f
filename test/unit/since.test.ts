import assert from 'node:assert/strict'
import { test } from 'node:test'
import { formatLocalDateTime, parseSince } from '../../src/records/since.js'

const now = Date.UTC(2024, 5, 15, 12, 0, 0)

test('a duration counts back from now', () => {
  assert.equal(parseSince('30s', now), now - 30_000)
  assert.equal(parseSince('15m', now), now - 15 * 60_000)
  assert.equal(parseSince('1h', now), now - 3_600_000)
  assert.equal(parseSince('1.5h', now), now - 5_400_000)
  assert.equal(parseSince('2d', now), now - 2 * 86_400_000)
  assert.equal(parseSince('1w', now), now - 7 * 86_400_000)
  assert.equal(parseSince('500ms', now), now - 500)
  assert.equal(parseSince(' 2D ', now), now - 2 * 86_400_000)
})

test('a time with Z or an offset is that instant', () => {
  assert.equal(parseSince('2024-01-01T12:00:00Z'), Date.UTC(2024, 0, 1, 12))
  assert.equal(parseSince('2024-01-01T12:00:00.25Z'), Date.UTC(2024, 0, 1, 12, 0, 0, 250))
  assert.equal(parseSince('2024-01-01T12:00:00+08:00'), Date.UTC(2024, 0, 1, 4))
  assert.equal(parseSince('2024-01-01 12:00-0130'), Date.UTC(2024, 0, 1, 13, 30))
})

test('a time without an offset is local wall time, and formatLocalDateTime writes it back the same', () => {
  assert.equal(parseSince('2024-01-01'), new Date(2024, 0, 1).getTime())
  assert.equal(parseSince('2024-01-01 12:34'), new Date(2024, 0, 1, 12, 34).getTime())
  const local = parseSince('2024-03-05 06:07:08')
  assert.equal(local, new Date(2024, 2, 5, 6, 7, 8).getTime())
  assert.equal(formatLocalDateTime(local), '2024-03-05 06:07:08')
  assert.equal(parseSince('2024-03-05T06:07:08'), local)
})

test('anything else is an error naming --since and the value', () => {
  for (const bad of ['yesterday', '1', '1y', '-1h', '2024-13-01', '2024-02-30', '2024-01-01 24:00', '2024-01-01T12:60', '24-01-01', '']) {
    assert.throws(() => parseSince(bad, now), (error: Error) => error.message.startsWith('--since: ') && error.message.includes(JSON.stringify(bad)), bad)
  }
  // 2024 is a leap year.
  assert.equal(parseSince('2024-02-29T00:00:00Z'), Date.UTC(2024, 1, 29))
})
