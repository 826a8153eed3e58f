import assert from 'node:assert/strict'
import { test, type TestContext } from 'node:test'
import { RequestTail, type TailReader } from '../../src/admin/live/tail.js'
import { createLogger } from '../../src/log.js'
import type { RequestRecord } from '../../src/records/record.js'
import { RecordWriter } from '../../src/records/writer.js'
import { SqliteRecordStore } from '../../src/storage/sqlite/record-store.js'
import type { RecordQuery } from '../../src/storage/types.js'
import { minimalRecord } from '../contract/record-store.js'
import { eventually } from '../helpers/relay.js'

// The admin's request tail on a real store: read at once when the writer wrote a batch, at most `cap`
// records a read with a gap event for the rest, and a reader that cannot take records keeps its place.

function setup(t: TestContext, cap = 3) {
  const store = new SqliteRecordStore({ path: ':memory:' })
  // No timers of its own to speak of: the tail must hear the writer, not wait for its poll.
  const writer = new RecordWriter({ store, flushIntervalMs: 60_000 })
  const tail = new RequestTail(store, () => writer, createLogger('silent'), { pollMs: 60_000, cap })
  t.after(async () => {
    tail.close()
    await writer.close()
  })
  const write = async (...ids: string[]) => {
    for (const id of ids) writer.push(minimalRecord(id, Date.now()))
    await writer.flush()
  }
  return { tail, write }
}

function reader(afterSeq: number | undefined, filter: RecordQuery = {}) {
  const got: RequestRecord[] = []
  const gaps: [number, number][] = []
  const state: TailReader & { paused: boolean; refuse: boolean } = {
    filter,
    afterSeq,
    paused: false,
    refuse: false,
    gap: (after, before) => void gaps.push([after, before]),
    deliver: (record) => !state.refuse && got.push(record) > 0,
  }
  return { state, got, gaps, ids: () => got.map((record) => record.id) }
}

test('a new reader starts at the newest record, and hears each batch the writer writes at once', async (t) => {
  const { tail, write } = setup(t)
  await write('old-1', 'old-2')
  const page = reader(await tail.latestSeq())
  tail.add(page.state)
  await write('new-1', 'new-2')
  await eventually(() => page.got.length === 2)
  assert.deepEqual(page.ids(), ['new-1', 'new-2'], 'oldest first, nothing from before')
  assert.equal(page.state.afterSeq, page.got[1]!.seq)
})

test('more records than the cap in one read: the newest cap are sent after a gap naming the seqs skipped', async (t) => {
  const { tail, write } = setup(t, 3)
  const page = reader(await tail.latestSeq())
  const start = page.state.afterSeq!
  tail.add(page.state)
  await write('a', 'b', 'c', 'd', 'e')
  await eventually(() => page.got.length === 3)
  assert.deepEqual(page.ids(), ['c', 'd', 'e'])
  assert.deepEqual(page.gaps, [[start, page.got[0]!.seq!]])
})

test('filters apply; a paused reader is skipped and one that refuses keeps its place, then gets what it missed', async (t) => {
  const { tail, write } = setup(t, 10)
  const filtered = reader(await tail.latestSeq(), { idPrefix: 'keep' })
  const slow = reader(filtered.state.afterSeq)
  tail.add(filtered.state)
  tail.add(slow.state)
  slow.state.paused = true
  await write('keep-1', 'drop-1')
  await eventually(() => filtered.got.length === 1)
  assert.deepEqual(filtered.ids(), ['keep-1'])
  assert.deepEqual(slow.got, [])
  slow.state.paused = false
  slow.state.refuse = true
  await write('keep-2')
  await eventually(() => filtered.got.length === 2)
  assert.deepEqual(slow.got, [])
  slow.state.refuse = false
  await write('keep-3')
  await eventually(() => slow.got.length === 4)
  assert.deepEqual(slow.ids(), ['keep-1', 'drop-1', 'keep-2', 'keep-3'])
  assert.deepEqual(filtered.ids(), ['keep-1', 'keep-2', 'keep-3'])
})
