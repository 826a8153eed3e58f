/**
 * The events of the stream the exchange hands the decoder: Replicate's own (`output`, `error`,
 * `done`, and `logs` which is not read) and two the gateway adds, named so no upstream event can pass
 * for them (the exchange drops upstream events with these names).
 */

/** First: the prediction's id, model and creation time (Replicate's stream carries none of them). */
export const HEAD_EVENT = 'x-relay-prediction'

/** After `done`: the prediction's `metrics`, read from urls.get once the stream is done. */
export const METRICS_EVENT = 'x-relay-metrics'

/** Whether an upstream event has a name only the gateway may give. */
export function isGatewayEvent(name: string | undefined): boolean {
  return name?.startsWith('x-relay-') === true
}

/** One SSE event; each line of `data` its own `data:` line, so text with line breaks reads back the same. */
export function sseEvent(name: string, data: string): Buffer {
  return Buffer.from(`event: ${name}\n${data.split(/\r\n|\r|\n/).map((line) => `data: ${line}`).join('\n')}\n\n`)
}
