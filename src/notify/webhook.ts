import type { Notice } from './notice.js'
import type { Notifier } from './notifier.js'
import { sendJson } from './send-json.js'

/**
 * Any other receiver (Slack-style relays, an alerting service, a script): `POST <url>` with
 * `{ "text": <the formatted message>, "notice": <the scrubbed Notice> }`, so a receiver can show the
 * text or act on the fields. Extra headers carry whatever auth the receiver wants.
 */
export class WebhookNotifier implements Notifier {
  readonly name: string

  constructor(
    private readonly url: string,
    private readonly headers: Readonly<Record<string, string>> = {},
  ) {
    // Named by host only: the path or query of a webhook URL often holds its secret.
    this.name = `webhook ${new URL(url).host}`
  }

  async send(text: string, notice: Notice, signal?: AbortSignal): Promise<void> {
    await sendJson(this.url, { text, notice }, { method: 'POST', headers: this.headers, signal })
  }
}
