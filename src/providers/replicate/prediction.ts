import type { UpstreamExchange } from '../../upstream/exchange.js'
import { isObject, parseJson } from '../decode.js'

/** What the exchange reads of a prediction (replicate-python-beta `types/prediction.py`). */
export interface Prediction {
  id: string
  model: string
  status: string
  error: string | undefined
  output: unknown
  metrics: unknown
  created_at: string | undefined
  urls: { get?: string; cancel?: string; stream?: string }
}

/** The statuses a prediction ends in (`aborted`: canceled by its deadline before it started). */
const finalStatuses = new Set(['succeeded', 'failed', 'canceled', 'aborted'])

export function isFinal(status: string): boolean {
  return finalStatuses.has(status)
}

/** A prediction JSON body; undefined when it is not one. */
export function parsePrediction(body: Buffer): Prediction | undefined {
  const json = parseJson(body.toString('utf8'))
  if (!isObject(json) || typeof json.id !== 'string' || typeof json.status !== 'string') return undefined
  const urls = isObject(json.urls) ? json.urls : {}
  const url = (name: string) => (typeof urls[name] === 'string' ? { [name]: urls[name] } : {})
  return {
    id: json.id,
    model: typeof json.model === 'string' ? json.model : '',
    status: json.status,
    error: typeof json.error === 'string' ? json.error : undefined,
    output: json.output,
    metrics: json.metrics,
    created_at: typeof json.created_at === 'string' ? json.created_at : undefined,
    urls: { ...url('get'), ...url('cancel'), ...url('stream') },
  }
}

/** The most of a prediction read whole: it echoes the input (the rendered conversation) and holds the output. */
const MAX_BODY_BYTES = 32 * 1024 * 1024

/** An answer's body read whole; rejects when it breaks off (with the transport's error) or is too large. */
export function readWhole(exchange: UpstreamExchange): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    exchange.attach({
      data(chunk) {
        size += chunk.length
        if (size <= MAX_BODY_BYTES) chunks.push(chunk)
        return true
      },
      end: () => (size <= MAX_BODY_BYTES ? resolve(Buffer.concat(chunks, size)) : reject(new Error(`A Replicate answer was larger than ${MAX_BODY_BYTES} bytes.`))),
      error: reject,
    })
  })
}
