import assert from 'node:assert/strict'
import { describe, test, type TestContext } from 'node:test'
import { setImmediate, setTimeout as sleep } from 'node:timers/promises'
import type { RequestRecord } from '../../src/records/record.js'
import { RecordWriter, type RecordWriterOptions } from '../../src/records/writer.js'
import type { RecordPruneOptions, RecordQuery, RecordStore } from '../../src/storage/types.js'

/** An in-memory RecordStore that notes every call and can be told to fail, hang or be slow. */
class FakeStore implements RecordStore {
  /** Ids of each successful write, in order. */
  readonly batches: string[][] = []
  /** Write attempts per batch, keyed by the batch's first id. */
  readonly attempts = new Map<string, number>()
  readonly prunes: { options: RecordPruneOptions; at: number }[] = []
  pruneResults: number[] = []
  pruneDelayMs = 0
  failing = false
  hanging = false
  closed = false

  async write(records: readonly RequestRecord[]): Promise<void> {
    const first = records[0]?.id ?? ''
    this.attempts.set(first, (this.attempts.get(first) ?? 0) + 1)
    if (this.hanging) await new Promise(() => {})
    if (this.failing) throw new Error('database down')
    this.batches.push(records.map((record) => record.id))
  }

  async query(_filter: RecordQuery): Promise<RequestRecord[]> {
    return []
  }

  async prune(options: RecordPruneOptions): Promise<number> {
    this.prunes.push({ options, at: performance.now() })
    if (this.pruneDelayMs > 0) await sleep(this.pruneDelayMs)
    return this.pruneResults.shift() ?? 0
  }

  async close(): Promise<void> {
    this.closed = true
  }

  get written(): string[] {
    return this.batches.flat()
  }
}

let serial = 0
function record(id = `r${++serial}`): RequestRecord {
  return { id, time: Date.now(), method: 'POST', path: '/v1/chat/completions', stream: false, attempts: [], status: 200, totalMs: 1, level: 'meta' }
}

function writerFor(t: TestContext, store: FakeStore, options: Omit<RecordWriterOptions, 'store'> = {}): RecordWriter {
  const writer = new RecordWriter({ store, flushIntervalMs: 60_000, ...options })
  t.after(() => writer.close())
  return writer
}

async function until(condition: () => boolean, ms = 2000): Promise<void> {
  const deadline = performance.now() + ms
  while (!condition() && performance.now() < deadline) await sleep(2)
  assert.ok(condition(), `condition held within ${ms} ms`)
}

const ids = (prefix: string, count: number) => Array.from({ length: count }, (_, i) => `${prefix}${i}`)

describe('RecordWriter', () => {
  test('push() only queues: nothing is written in the same turn of the event loop', (t) => {
    const store = new FakeStore()
    const writer = writerFor(t, store, { batchSize: 2 })
    for (const id of ids('a', 5)) writer.push(record(id))
    assert.deepEqual(store.batches, [])
    assert.equal(writer.queued, 5)
  })

  test('a full batch is written at once, without waiting for the interval; the rest waits', async (t) => {
    const store = new FakeStore()
    const writer = writerFor(t, store, { batchSize: 3 })
    for (const id of ids('s', 7)) writer.push(record(id))
    await until(() => store.batches.length === 2)
    // Whatever the writer would do at once has run after two turns of the event loop (the interval is a minute).
    await setImmediate()
    await setImmediate()
    assert.deepEqual(store.batches, [ids('s', 3), ['s3', 's4', 's5']], 'two full batches, the seventh record still queued')
    assert.equal(writer.queued, 1)
    await writer.flush()
    assert.deepEqual(store.batches.at(-1), ['s6'])
    assert.equal(writer.written, 7)
  })

  test('a partial batch is written when the interval comes round', async (t) => {
    const store = new FakeStore()
    const writer = writerFor(t, store, { batchSize: 500, flushIntervalMs: 60 })
    const started = performance.now()
    for (const id of ids('t', 3)) writer.push(record(id))
    await setImmediate()
    assert.deepEqual(store.batches, [], 'not at once')
    await until(() => store.batches.length === 1)
    assert.ok(performance.now() - started >= 50, `written after the interval (${Math.round(performance.now() - started)} ms)`)
    assert.deepEqual(store.batches, [ids('t', 3)], 'one batch of all three')
  })

  test('the queue is bounded: records beyond maxQueue are dropped, counted and reported', async (t) => {
    const store = new FakeStore()
    const troubles: Error[] = []
    const writer = writerFor(t, store, { maxQueue: 5, batchSize: 100, onTrouble: (error) => troubles.push(error) })
    for (const id of ids('q', 8)) writer.push(record(id))
    assert.equal(writer.dropped, 3)
    assert.equal(writer.queued, 5)
    assert.equal(troubles.length, 1, 'reported once, not per record')
    assert.match(troubles[0]?.message ?? '', /queue is full \(maxQueue 5\)/)
    await writer.flush()
    assert.deepEqual(store.written, ids('q', 5), 'the first five were kept')
  })

  test('a failing store: push never throws, each batch is tried twice then dropped, trouble reported once, then recovery', async (t) => {
    const store = new FakeStore()
    store.failing = true
    const events: string[] = []
    const writer = writerFor(t, store, {
      batchSize: 4,
      flushIntervalMs: 10,
      onTrouble: (error) => events.push(`trouble: ${error.message}`),
      onRecovered: () => events.push('recovered'),
    })
    for (let i = 0; i < 40; i++) {
      writer.push(record(`f${i}`))
      await sleep(5)
    }
    await until(() => writer.dropped >= 12)
    assert.deepEqual(events, ['trouble: database down'], 'one report for the whole episode')
    const tried = [...store.attempts.entries()]
    assert.ok(tried.length >= 3)
    // Every batch but the one in flight or held for retry was tried exactly twice, on two intervals.
    assert.ok(tried.slice(0, -2).every(([, count]) => count === 2), JSON.stringify(tried))
    assert.ok(tried.every(([, count]) => count <= 2))
    assert.equal(store.batches.length, 0)

    store.failing = false
    const droppedBefore = writer.dropped
    writer.push(record('after'))
    await until(() => store.written.includes('after'))
    assert.deepEqual(events, ['trouble: database down', 'recovered'])
    assert.ok(writer.dropped >= droppedBefore)
    assert.equal(writer.dropped + writer.written + writer.queued, 41, 'every record is written, queued or counted as dropped')
  })

  test('trouble is reported at most once per troubleIntervalMs', async (t) => {
    const store = new FakeStore()
    store.failing = true
    const reportedAt: number[] = []
    const writer = writerFor(t, store, { batchSize: 1, flushIntervalMs: 5, troubleIntervalMs: 100, onTrouble: () => reportedAt.push(performance.now()) })
    const started = performance.now()
    while (performance.now() - started < 350) {
      writer.push(record())
      await sleep(3)
    }
    assert.ok(store.attempts.size > 20, `many failed writes (${store.attempts.size})`)
    assert.ok(reportedAt.length >= 2 && reportedAt.length <= 4, `${reportedAt.length} reports in 350 ms`)
    for (let i = 1; i < reportedAt.length; i++) assert.ok(reportedAt[i]! - reportedAt[i - 1]! >= 99, 'at least the interval apart')
  })

  test('onWritten listeners hear of each batch once it is in the store, never of a failed one, until they stop', async (t) => {
    const store = new FakeStore()
    const writer = writerFor(t, store)
    const heard: { count: number; stored: number }[] = []
    const stop = writer.onWritten((count) => heard.push({ count, stored: store.written.length }))
    writer.onWritten(() => {
      throw new Error('a listener that throws changes nothing')
    })
    for (const id of ids('w', 3)) writer.push(record(id))
    await writer.flush()
    store.failing = true
    writer.push(record('w-failed'))
    await writer.flush()
    assert.deepEqual(heard, [{ count: 3, stored: 3 }])
    stop()
    store.failing = false
    await writer.flush()
    assert.deepEqual(store.written, [...ids('w', 3), 'w-failed'], 'the held batch was written, unheard')
    assert.equal(heard.length, 1)
  })

  test('a callback that throws does not break the writer', async (t) => {
    const store = new FakeStore()
    store.failing = true
    const writer = writerFor(t, store, {
      batchSize: 1,
      onTrouble: () => {
        throw new Error('logger broke')
      },
    })
    writer.push(record('x'))
    await writer.flush()
    store.failing = false
    await writer.flush()
    assert.deepEqual(store.written, ['x'], 'the held batch was retried and written')
  })

  test('close() writes everything pending, closes the store, and later pushes are dropped', async (t) => {
    const store = new FakeStore()
    const writer = writerFor(t, store, { batchSize: 500 })
    for (const id of ids('c', 1234)) writer.push(record(id))
    await writer.close()
    assert.deepEqual(
      store.batches.map((batch) => batch.length),
      [500, 500, 234],
    )
    assert.deepEqual(store.written, ids('c', 1234))
    assert.equal(store.closed, true)
    writer.push(record('late'))
    assert.equal(writer.dropped, 1)
    assert.equal(store.written.includes('late'), false)
    await writer.close()
  })

  test('close() retries a failed batch once at once, then drops it', async (t) => {
    const store = new FakeStore()
    store.failing = true
    const writer = writerFor(t, store, { batchSize: 2 })
    for (const id of ids('d', 3)) writer.push(record(id))
    await writer.close()
    assert.deepEqual([...store.attempts.entries()], [['d0', 2], ['d2', 2]])
    assert.equal(writer.dropped, 3)
    assert.equal(store.closed, true)
  })

  test('close() gives up after closeTimeoutMs on a store that hangs, counting what was left', async (t) => {
    const store = new FakeStore()
    store.hanging = true
    const writer = writerFor(t, store, { batchSize: 2, closeTimeoutMs: 100 })
    for (const id of ids('h', 5)) writer.push(record(id))
    const started = performance.now()
    await writer.close()
    const took = performance.now() - started
    assert.ok(took >= 90 && took < 1000, `close took ${Math.round(took)} ms`)
    assert.equal(writer.dropped, 5, 'the batch in flight and the two not yet sent')
    assert.equal(writer.queued, 0)
    assert.equal(store.closed, true)
  })

  describe('retention', () => {
    test('prunes in steps until a step deletes less than a full one, with a pause between steps', async (t) => {
      const store = new FakeStore()
      store.pruneResults = [10, 10, 3]
      const writer = writerFor(t, store, { retention: { maxAgeMs: 3_600_000, maxRows: 5000 }, pruneStep: 10, pruneStepPauseMs: 15 })
      const before = Date.now()
      assert.equal(await writer.prune(), 23)
      assert.equal(store.prunes.length, 3)
      for (const { options } of store.prunes) {
        assert.equal(options.batchSize, 10)
        assert.equal(options.keepRows, 5000)
        assert.ok(options.olderThan !== undefined && options.olderThan >= before - 3_600_000 && options.olderThan <= Date.now() - 3_600_000 + 1)
      }
      const gaps = store.prunes.slice(1).map((call, i) => call.at - store.prunes[i]!.at)
      assert.ok(gaps.every((gap) => gap >= 12), `paused between steps (${gaps.map(Math.round).join(', ')} ms)`)
    })

    test('runs by itself every pruneIntervalMs, with only the limits given', async (t) => {
      const store = new FakeStore()
      writerFor(t, store, { retention: { maxRows: 100 }, pruneIntervalMs: 20, pruneStep: 50 })
      await until(() => store.prunes.length >= 2)
      assert.deepEqual(store.prunes[0]?.options, { olderThan: undefined, keepRows: 100, batchSize: 50 })
    })

    test('writes go on while a long prune pass runs', async (t) => {
      const store = new FakeStore()
      store.pruneResults = Array(20).fill(10)
      store.pruneDelayMs = 10
      const writer = writerFor(t, store, { retention: { maxAgeMs: 1000 }, pruneStep: 10, pruneStepPauseMs: 5 })
      const pass = writer.prune()
      await until(() => store.prunes.length >= 1)
      writer.push(record('during'))
      await writer.flush()
      const stepsSoFar = store.prunes.length
      assert.deepEqual(store.written, ['during'])
      assert.ok(stepsSoFar < 20, `the write did not wait for the pass (${stepsSoFar} of 21 steps done)`)
      assert.equal(await pass, 200)
    })

    test('a prune failure is reported and ends the pass; without retention nothing is pruned', async (t) => {
      const failing = new FakeStore()
      failing.prune = () => Promise.reject(new Error('prune failed'))
      const troubles: string[] = []
      writerFor(t, failing, { retention: { maxRows: 1 }, pruneIntervalMs: 10, onTrouble: (error) => troubles.push(error.message) })
      await until(() => troubles.length === 1)
      assert.deepEqual(troubles, ['prune failed'])

      const idle = new FakeStore()
      const writer = writerFor(t, idle, { pruneIntervalMs: 5 })
      // Six intervals of time: a writer without retention that pruned on its timer would have done so by now.
      await sleep(30)
      assert.equal(await writer.prune(), 0)
      assert.equal(idle.prunes.length, 0)
    })
  })

  test('its timers do not keep the process alive', (t) => {
    const timers = () => process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length
    const before = timers()
    writerFor(t, new FakeStore(), { flushIntervalMs: 1000, retention: { maxRows: 1 }, pruneIntervalMs: 1000 })
    assert.equal(timers(), before)
  })

  test('options are checked in the constructor, naming the option', () => {
    const store = new FakeStore()
    assert.throws(() => new RecordWriter({ store, batchSize: 0 }), /options\.batchSize must be an integer >= 1/)
    assert.throws(() => new RecordWriter({ store, maxQueue: 1.5 }), /options\.maxQueue/)
    assert.throws(() => new RecordWriter({ store, flushIntervalMs: 0 }), /options\.flushIntervalMs/)
    assert.throws(() => new RecordWriter({ store, retention: { maxAgeMs: 0 } }), /options\.retention\.maxAgeMs/)
    assert.throws(() => new RecordWriter({ store, retention: { maxRows: -1 } }), /options\.retention\.maxRows/)
  })
})
