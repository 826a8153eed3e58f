import type { Notice } from './notice.js'
import type { Notifier } from './notifier.js'
import { sendJson } from './send-json.js'

/**
 * A Feishu (Lark) custom bot: `POST <webhook>` with `{"msg_type":"text","content":{"text":…}}`, the
 * body openai-api-route sends (feishu.go). Feishu answers HTTP 200 even when it refuses a message
 * and puts the verdict in the body (`code`, or `StatusCode` in older bots), so that is checked too.
 */
export class FeishuNotifier implements Notifier {
  readonly name = 'feishu'

  constructor(private readonly webhook: string) {}

  async send(text: string, _notice: Notice, signal?: AbortSignal): Promise<void> {
    const answer = await sendJson(this.webhook, { msg_type: 'text', content: { text } }, { method: 'POST', signal })
    const code = feishuCode(answer)
    if (code !== undefined && code.code !== 0) throw new Error(`Feishu refused the message: code ${code.code}${code.msg ? ` (${code.msg})` : ''}`)
  }
}

/** `{ code, msg }` from a Feishu answer, or undefined when the answer is not that shape. */
function feishuCode(answer: string): { code: number; msg: string } | undefined {
  let parsed: unknown
  try {
    parsed = JSON.parse(answer)
  } catch {
    return undefined
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined
  const fields = parsed as { code?: unknown; StatusCode?: unknown; msg?: unknown; StatusMessage?: unknown }
  const code = typeof fields.code === 'number' ? fields.code : fields.StatusCode
  if (typeof code !== 'number') return undefined
  const msg = typeof fields.msg === 'string' ? fields.msg : typeof fields.StatusMessage === 'string' ? fields.StatusMessage : ''
  return { code, msg: msg.slice(0, 200) }
}
