import { useEffect, useState } from 'preact/hooks'
import { Dialog } from '../components/dialog'
import { ErrorNotice, Notice } from '../components/notice'
import { get } from '../lib/api'
import { count, duration, statusTone, when } from '../lib/format'
import type { RequestRecord } from '../../../src/records/record'

/** A record in full, as GET /admin/api/requests/:seq sends it; the viewer gets `contentHidden` instead of the content. */
type FullRecord = RequestRecord & { seq: number; contentHidden?: boolean }

/** The chat request a full record kept, as far as the page shows it. */
type KeptRequest = { messages?: { role: string; content: unknown; tool_calls?: unknown }[] }

/** Message content as text: a string, or the text parts of a list of parts (images named, not shown). */
function textOf(content: unknown): string {
  if (typeof content === 'string') return content
  if (Array.isArray(content)) return content.map((part: { type?: string; text?: string }) => (part.type === 'text' ? (part.text ?? '') : `[${part.type ?? 'part'}]`)).join('\n')
  return content === null || content === undefined ? '' : JSON.stringify(content, null, 2)
}

/** One request in full: its timing, every attempt, tokens, cache, error, and for `full` records the conversation. */
export function RequestDetail({ seq, onClose }: { seq: number; onClose: () => void }) {
  const [record, setRecord] = useState<FullRecord | undefined>(undefined)
  const [error, setError] = useState<unknown>(undefined)
  useEffect(() => {
    setRecord(undefined)
    get<FullRecord>(`/admin/api/requests/${seq}`).then(setRecord, setError)
  }, [seq])
  return (
    <Dialog title={record === undefined ? 'Request' : `Request ${record.id}`} onClose={onClose} wide>
      <ErrorNotice error={error} />
      {record !== undefined && (
        <div class="detail">
          <dl class="facts">
            <dt>Time</dt>
            <dd>{when(record.time)}</dd>
            <dt>Request</dt>
            <dd class="mono">
              {record.method} {record.path}
            </dd>
            <dt>Route</dt>
            <dd class="mono">{record.route ?? '–'}</dd>
            <dt>Status</dt>
            <dd>
              <span class={`pill ${statusTone(record.status)}`}>{record.status}</span>
            </dd>
            <dt>Model</dt>
            <dd>
              {record.model ?? '–'}
              {record.upstreamModel !== undefined && ` → ${record.upstreamModel}`}
            </dd>
            <dt>Upstream</dt>
            <dd>
              {record.upstream ?? '–'}
              {record.provider !== undefined && ` (${record.provider})`}
            </dd>
            <dt>Client</dt>
            <dd>
              {record.clientId ?? 'anonymous'} · {record.clientIp ?? ''}
              {record.dialect !== undefined && ` · speaks ${record.dialect}`}
            </dd>
            <dt>Streamed</dt>
            <dd>{record.stream === true ? 'yes' : 'no'}</dd>
            <dt>Cache</dt>
            <dd>{record.cache ?? 'not looked up'}</dd>
            <dt>Timing</dt>
            <dd>
              headers {duration(record.headersMs)} · first byte {duration(record.firstByteMs)} · total {duration(record.totalMs)}
            </dd>
            <dt>Tokens</dt>
            <dd>
              {count(record.promptTokens)} prompt + {count(record.completionTokens)} completion = {count(record.totalTokens)}
              {record.tokensSource !== undefined && ` (${record.tokensSource})`}
            </dd>
            {record.error !== undefined && (
              <>
                <dt>Error</dt>
                <dd class="bad-text">{record.error}</dd>
              </>
            )}
          </dl>
          <h3>Attempts</h3>
          <table class="data compact" aria-label="Attempts, in order">
            <thead>
              <tr>
                <th scope="col">#</th>
                <th scope="col">Upstream</th>
                <th scope="col">Result</th>
                <th scope="col" class="num">Took</th>
              </tr>
            </thead>
            <tbody>
              {record.attempts.map((attempt, index) => (
                <tr key={index}>
                  <td>{index + 1}</td>
                  <td>{attempt.upstream}</td>
                  <td>
                    <span class={`pill ${attempt.status === undefined ? 'bad' : statusTone(attempt.status)}`}>{attempt.status ?? attempt.error ?? '–'}</span>
                  </td>
                  <td class="num">{duration(attempt.durationMs)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {record.contentHidden === true && <Notice tone="info">The conversation is kept, but only an admin sees it.</Notice>}
          {record.content !== undefined && <Conversation content={record.content} />}
          {record.content === undefined && record.contentHidden !== true && <p class="hint">This record kept no content (records level {record.level ?? 'meta'}).</p>}
        </div>
      )}
    </Dialog>
  )
}

function Conversation({ content }: { content: NonNullable<FullRecord['content']> }) {
  const messages = (content.request as KeptRequest | undefined)?.messages ?? []
  return (
    <>
      <h3>Conversation</h3>
      {content.omitted !== undefined && <Notice tone="warn">Part of this record was not kept: {content.omitted}</Notice>}
      <ol class="conversation" aria-label="Messages">
        {messages.map((message, index) => (
          <li key={index} class={`message ${message.role}`}>
            <span class="role">{message.role}</span>
            <div class="text">{textOf(message.content)}</div>
            {message.tool_calls !== undefined && <pre class="mono">{JSON.stringify(message.tool_calls, null, 2)}</pre>}
          </li>
        ))}
        {content.response !== undefined && (
          <li class="message assistant answer">
            <span class="role">answer</span>
            <div class="text">{content.response}</div>
          </li>
        )}
      </ol>
      {content.toolCalls !== undefined && (
        <>
          <h4>Tool calls</h4>
          <pre class="mono">{JSON.stringify(content.toolCalls, null, 2)}</pre>
        </>
      )}
      {content.request !== undefined && messages.length === 0 && (
        <details>
          <summary>Request body</summary>
          <pre class="mono">{JSON.stringify(content.request, null, 2)}</pre>
        </details>
      )}
      {content.headers !== undefined && (
        <details>
          <summary>Request headers</summary>
          <pre class="mono">{Object.entries(content.headers).map(([name, value]) => `${name}: ${value}`).join('\n')}</pre>
        </details>
      )}
    </>
  )
}
