import { randomUUID } from 'node:crypto'
import type { Notice } from './notice.js'
import type { Notifier } from './notifier.js'
import { sendJson } from './send-json.js'

/**
 * Matrix through the client-server API: `PUT {homeserver}/_matrix/client/v3/rooms/{roomId}/send/m.room.message/{txnId}`
 * (spec: client-server API, "PUT /rooms/{roomId}/send/{eventType}/{txnId}"). The homeserver treats a
 * repeated txnId from the same token as a retry of the same event, so each message gets a fresh one.
 */
export class MatrixClientNotifier implements Notifier {
  readonly name = 'matrix'
  private readonly roomUrl: string

  constructor(
    homeserver: string,
    roomId: string,
    private readonly accessToken: string,
  ) {
    // A room id is `!opaque:server`: `:` and anything unusual in the opaque part are percent-encoded. `!` stays as it
    // is, as matrix-js-sdk sends it; it is a legal path character (RFC 3986 §3.3 sub-delims).
    this.roomUrl = `${homeserver.replace(/\/+$/, '')}/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/send/m.room.message/`
  }

  async send(text: string, _notice: Notice, signal?: AbortSignal): Promise<void> {
    const txnId = `llm-relay-${Date.now()}-${randomUUID()}`
    await sendJson(
      this.roomUrl + encodeURIComponent(txnId),
      { msgtype: 'm.text', body: text },
      { method: 'PUT', headers: { authorization: `Bearer ${this.accessToken}` }, signal },
    )
  }
}

/**
 * openai-api-route's `MATRIX_API` (matrix.go): `POST $MATRIX_API` with `{"message":"m.text","body":…}`.
 * A custom bridge's webhook, not the Matrix API; kept so existing deployments keep their notices.
 */
export class MatrixApiNotifier implements Notifier {
  readonly name = 'matrix-api'

  constructor(private readonly api: string) {}

  async send(text: string, _notice: Notice, signal?: AbortSignal): Promise<void> {
    await sendJson(this.api, { message: 'm.text', body: text }, { method: 'POST', signal })
  }
}
