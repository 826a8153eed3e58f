import type { TestContext } from 'node:test'
import { startMockUpstream, type MockUpstream, type MockUpstreamOptions } from '../../src/mock-upstream/index.js'

/** A mock upstream on a free port, closed in t.after. */
export async function startMock(t: TestContext, options: MockUpstreamOptions = {}): Promise<MockUpstream> {
  const mock = await startMockUpstream(options)
  t.after(() => mock.close())
  return mock
}
