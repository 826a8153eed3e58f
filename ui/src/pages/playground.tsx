import { useEffect, useRef, useState } from 'preact/hooks'
import { CheckField, SelectField, TextField } from '../components/field'
import { ErrorNotice, Notice } from '../components/notice'
import { api, ApiError, get } from '../lib/api'
import { config } from '../lib/config'
import { count, duration, statusTone, when } from '../lib/format'
import { isAdmin } from '../lib/session'
import { readEvents } from '../lib/sse'
import type { Decision } from '../../../src/admin/wire'

interface DryRun {
  request: { model: string | null }
  route: { path: string; type: string; strategy: string } | null
  client: { kind: string; label: string; note?: string }
  refused: { stage: string; status: number; code: string; message: string } | null
  candidates: { name: string; provider: string; upstreamModel: string | null; health: { state: string; coolingUntil: number | null; consecutiveFailures: number } }[]
  leftOut: { name: string; provider: string; reason: string; why: string }[]
  order: string
  cache: { note: string } | null
  limits: { requests: string[]; tokens: string[] } | null
}

/** The answer's text: the message of a chat completion, or the error's message. */
function answerText(answer: unknown): string {
  const body = answer as { choices?: { message?: { content?: string | null; tool_calls?: unknown } }[]; error?: { message?: string } }
  const message = body.choices?.[0]?.message
  if (message !== undefined) return message.content ?? JSON.stringify(message.tool_calls ?? message, null, 2)
  return body.error?.message ?? JSON.stringify(answer, null, 2)
}

/**
 * Playground (issue 15 point 7): a chat sent through the gateway for real with a chosen route, model
 * and client, the answer beside how it was routed; and a dry run that says where a request would go
 * and why, calling nothing.
 */
export function PlaygroundPage() {
  const routes = config.value?.document.routes ?? []
  const [clients, setClients] = useState<{ ref: string; label: string }[]>([])
  const [route, setRoute] = useState(routes[0]?.path ?? '/')
  const [model, setModel] = useState('gpt-4o-mini')
  const [client, setClient] = useState('')
  const [typedKey, setTypedKey] = useState('')
  const [system, setSystem] = useState('')
  const [prompt, setPrompt] = useState('Say hello in five words.')
  const [stream, setStream] = useState(true)
  const [answer, setAnswer] = useState('')
  const [status, setStatus] = useState<number | undefined>(undefined)
  const [decision, setDecision] = useState<Decision | null | undefined>(undefined)
  const [dryRun, setDryRun] = useState<DryRun | undefined>(undefined)
  const [error, setError] = useState<unknown>(undefined)
  const [busy, setBusy] = useState(false)
  const abort = useRef<AbortController | undefined>(undefined)

  useEffect(() => {
    get<{ clients: { ref: string; label: string }[] }>('/admin/api/playground/clients').then((answer) => setClients(answer.clients), setError)
    return () => abort.current?.abort()
  }, [])

  const clientField = () => (client === 'typed' ? (typedKey === '' ? undefined : { key: typedKey }) : client === '' ? undefined : { ref: client })
  const chatPath = route === '/' ? '/v1/chat/completions' : `${route}/v1/chat/completions`

  const explain = async () => {
    setError(undefined)
    try {
      const { data } = await api<DryRun>('POST', '/admin/api/playground/dry-run', { path: chatPath, model, stream, ...(clientField() !== undefined && { client: clientField() }) })
      setDryRun(data)
    } catch (failure) {
      setError(failure)
    }
  }

  const send = async (event: Event) => {
    event.preventDefault()
    abort.current?.abort()
    const controller = new AbortController()
    abort.current = controller
    setBusy(true)
    setError(undefined)
    setAnswer('')
    setStatus(undefined)
    setDecision(undefined)
    const messages = [...(system === '' ? [] : [{ role: 'system', content: system }]), { role: 'user', content: prompt }]
    const body = { path: route, model, messages, stream, ...(clientField() !== undefined && { client: clientField() }) }
    try {
      if (!stream) {
        const { data } = await api<{ status: number; answer: unknown; decision: Decision | null }>('POST', '/admin/api/playground/chat', body)
        setStatus(data.status)
        setAnswer(answerText(data.answer))
        setDecision(data.decision)
        return
      }
      const response = await fetch('/admin/api/playground/chat', { method: 'POST', credentials: 'same-origin', headers: { 'content-type': 'application/json', accept: 'text/event-stream' }, body: JSON.stringify(body), signal: controller.signal })
      if (!response.ok || response.body === null) {
        const failure = (await response.json().catch(() => ({}))) as { error?: { code?: string; message?: string } }
        throw new ApiError(response.status, failure.error?.code ?? `HTTP_${response.status}`, failure.error?.message ?? response.statusText)
      }
      let text = ''
      await readEvents(response.body, (name, data) => {
        if (name === 'chunk') {
          if (data === '[DONE]') return
          const chunk = JSON.parse(data) as { choices?: { delta?: { content?: string } }[] }
          text += chunk.choices?.[0]?.delta?.content ?? ''
          setAnswer(text)
          setStatus(200)
        } else if (name === 'error') {
          const failure = JSON.parse(data) as { status: number; error: unknown }
          setStatus(failure.status)
          setAnswer(answerText(failure))
        } else if (name === 'decision') {
          setDecision(JSON.parse(data) as Decision | null)
        }
      })
    } catch (failure) {
      if ((failure as Error).name !== 'AbortError') setError(failure)
    } finally {
      setBusy(false)
    }
  }

  return (
    <section aria-labelledby="playground-title">
      <div class="page-head">
        <h1 id="playground-title">Playground</h1>
      </div>
      <p class="lead">Send a chat through the gateway as a client would, and see how it was routed. A dry run says where it would go, and why, without sending it.</p>
      {!isAdmin() && <Notice tone="info">A viewer may run dry runs; sending a chat (which spends money) takes the admin.</Notice>}
      <div class="playground">
        <form class="card" onSubmit={(event) => void send(event)} aria-label="Chat">
          <div class="form-grid">
            <SelectField label="Route" value={route} onChange={setRoute} options={routes.map((entry) => entry.path)} />
            <TextField label="Model" value={model} onInput={setModel} required />
            <SelectField
              label="Client"
              value={client}
              onChange={setClient}
              options={[{ value: '', label: 'no key (anonymous)' }, ...clients.map((entry) => ({ value: entry.ref, label: entry.label })), { value: 'typed', label: 'a key I type…' }]}
              hint="Saved keys are used by reference: the page never holds them."
            />
            {client === 'typed' && <TextField label="Client key" type="password" value={typedKey} onInput={setTypedKey} autoComplete="off" />}
            <CheckField label="Stream the answer" checked={stream} onChange={setStream} />
          </div>
          <TextField label="System message" value={system} onInput={setSystem} placeholder="optional" />
          <div class="field">
            <label for="playground-prompt">Message</label>
            <textarea id="playground-prompt" rows={5} value={prompt} onInput={(event) => setPrompt(event.currentTarget.value)} required />
          </div>
          <ErrorNotice error={error} />
          <div class="actions">
            <button type="button" class="ghost" onClick={() => void explain()}>
              Dry run
            </button>
            {busy ? (
              <button type="button" class="ghost danger" onClick={() => abort.current?.abort()}>
                Stop
              </button>
            ) : null}
            <button type="submit" class="primary" disabled={busy || !isAdmin()}>
              {busy ? 'Sending…' : 'Send'}
            </button>
          </div>
        </form>
        <div>
          {dryRun !== undefined && <DryRunView result={dryRun} />}
          <div class="card" role="region" aria-label="Answer">
            <h2>
              Answer {status !== undefined && <span class={`pill ${statusTone(status)}`}>{status}</span>}
            </h2>
            <div class="answer-text" aria-live="polite">
              {answer === '' ? <span class="muted">{busy ? 'Waiting for the answer…' : 'Nothing sent yet.'}</span> : answer}
            </div>
          </div>
          {decision !== undefined && <DecisionView decision={decision} />}
        </div>
      </div>
    </section>
  )
}

function DecisionView({ decision }: { decision: Decision | null }) {
  if (decision === null) return <Notice tone="warn">The routing decision did not come back in time.</Notice>
  return (
    <div class="card" role="region" aria-label="Routing decision">
      <h2>Routing decision</h2>
      <dl class="facts">
        <dt>Route</dt>
        <dd class="mono">{decision.route ?? '–'}</dd>
        <dt>Upstream used</dt>
        <dd>
          {decision.upstream ?? 'none'}
          {decision.provider !== null && ` (${decision.provider})`}
          {decision.upstreamModel !== null && decision.upstreamModel !== decision.model && ` as ${decision.upstreamModel}`}
        </dd>
        <dt>Attempts</dt>
        <dd>
          <ol class="candidates">
            {decision.attempts.map((attempt, index) => (
              <li key={index}>
                {attempt.upstream}: {'status' in attempt ? <span class={`pill ${statusTone(attempt.status)}`}>{attempt.status}</span> : <span class="pill bad">{attempt.reason}</span>} in {duration(attempt.durationMs)}
              </li>
            ))}
          </ol>
          {decision.attempts.length === 0 && 'none (answered by the gateway)'}
        </dd>
        <dt>Cache</dt>
        <dd>{decision.cache ?? 'not looked up'}</dd>
        <dt>Tokens</dt>
        <dd>{decision.tokens === null ? '–' : `${count(decision.tokens.prompt)} prompt + ${count(decision.tokens.completion)} completion (${decision.tokens.source})`}</dd>
        <dt>First byte</dt>
        <dd>{duration(decision.firstByteMs)}</dd>
        <dt>Total</dt>
        <dd>{duration(decision.totalMs)}</dd>
        <dt>Request id</dt>
        <dd class="mono">{decision.requestId}</dd>
        {decision.error !== null && (
          <>
            <dt>Error</dt>
            <dd class="bad-text">{decision.error}</dd>
          </>
        )}
      </dl>
    </div>
  )
}

function DryRunView({ result }: { result: DryRun }) {
  return (
    <div class="card" role="region" aria-label="Dry run">
      <h2>Dry run</h2>
      <dl class="facts">
        <dt>Route</dt>
        <dd class="mono">{result.route === null ? 'none' : `${result.route.path} (${result.route.strategy})`}</dd>
        <dt>Client</dt>
        <dd>
          {result.client.label}
          {result.client.note !== undefined && <div class="hint">{result.client.note}</div>}
        </dd>
      </dl>
      {result.refused !== null && (
        <Notice tone="bad">
          Refused with {result.refused.status} <code>{result.refused.code}</code>: {result.refused.message}
        </Notice>
      )}
      {result.candidates.length > 0 && (
        <>
          <h3>Would try, in order</h3>
          <ol class="candidates" aria-label="Upstreams in the order they would be tried">
            {result.candidates.map((candidate) => (
              <li key={candidate.name}>
                <strong>{candidate.name}</strong> ({candidate.provider}
                {candidate.upstreamModel !== null && candidate.upstreamModel !== result.request.model && `, as ${candidate.upstreamModel}`}){' '}
                {candidate.health.state === 'cooling' ? <span class="pill bad">cooling{candidate.health.coolingUntil === null ? '' : ` until ${when(candidate.health.coolingUntil)}`}</span> : <span class="pill ok">healthy</span>}
              </li>
            ))}
          </ol>
          <p class="hint">{result.order}</p>
        </>
      )}
      {result.leftOut.length > 0 && (
        <>
          <h3>Left out</h3>
          <ul class="candidates" aria-label="Upstreams left out">
            {result.leftOut.map((entry) => (
              <li key={entry.name}>
                <strong>{entry.name}</strong>: {entry.why}
              </li>
            ))}
          </ul>
        </>
      )}
      {result.cache !== null && <p class="hint">Cache: {result.cache.note}</p>}
      {result.limits !== null && (result.limits.requests.length > 0 || result.limits.tokens.length > 0) && (
        <p class="hint">
          Limits: {[...result.limits.requests, ...result.limits.tokens.map((limit) => `${limit} tokens`)].join('; ')}
        </p>
      )}
    </div>
  )
}
