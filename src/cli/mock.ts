import { behaviourFromOptions, startMockUpstream } from '../mock-upstream/index.js'

export interface MockFlags {
  host: string
  port: string
  status?: string
  fault?: string
  chunks?: string
  chunkDelayMs?: string
  headersDelayMs?: string
  retryAfter?: string
}

/** Starts the shipped mock upstream until the process is stopped. */
export async function mockCommand(flags: MockFlags): Promise<void> {
  const { host, port, ...behaviourFlags } = flags
  const mock = await startMockUpstream({ host, port: Number(port), record: false, behaviour: behaviourFromOptions(behaviourFlags) })
  console.log(`llm-relay mock upstream listening on ${mock.url} (OpenAI-compatible: /v1/chat/completions, /v1/responses, /v1/completions, /v1/embeddings, /v1/models, /v1/audio/transcriptions; also Azure, Anthropic, Gemini and Replicate: docs/mock.md)`)
  const stop = () => void mock.close().then(() => process.exit(0))
  process.once('SIGTERM', stop)
  process.once('SIGINT', stop)
}
