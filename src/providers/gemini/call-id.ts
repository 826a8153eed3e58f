/**
 * Gemini 3's thought signatures, carried through OpenAI clients in the tool-call id. A functionCall
 * part may carry a `thoughtSignature` that must come back, byte for byte, on the same part next turn
 * ("Function call ... is missing a thought_signature", a 400; translation.md §3). OpenAI's tool call
 * has no field for it, but clients send ids back unchanged: the id is `<id>__thought__<signature>`
 * (LiteLLM's carrier, #25561, so a client that switches gateways keeps working).
 */

const SEPARATOR = '__thought__'

/** Ids made here for calls Gemini gave none: not Gemini's, so never sent back to it as one. */
const MADE_HERE = 'call_relay_'

/** A maker of ids for one answer's calls Gemini left without one: unique across turns, since a client keys results by id. */
export function callIdMaker(nonce: string): (call: number) => string {
  return (call) => `${MADE_HERE}${nonce}_${call}`
}

/** The OpenAI tool-call id for a call: Gemini's id (or a made one), and its signature when it has one. */
export function joinCallId(id: string, signature: string | undefined): string {
  return signature === undefined || signature === '' ? id : `${id}${SEPARATOR}${signature}`
}

/** An OpenAI tool-call id read back: the id to send Gemini (none when the gateway made it) and the signature it carries. */
export function splitCallId(openaiId: string): { id: string | undefined; signature: string | undefined } {
  const at = openaiId.indexOf(SEPARATOR)
  const id = at === -1 ? openaiId : openaiId.slice(0, at)
  const signature = at === -1 ? '' : openaiId.slice(at + SEPARATOR.length)
  return { id: id === '' || id.startsWith(MADE_HERE) ? undefined : id, signature: signature === '' ? undefined : signature }
}
