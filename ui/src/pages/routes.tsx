import { useState } from 'preact/hooks'
import { Empty, ErrorNotice, Notice } from '../components/notice'
import { config, type RouteDoc } from '../lib/config'
import { relative } from '../lib/format'
import { samples } from '../lib/live'
import { isAdmin } from '../lib/session'
import { useChange } from '../lib/use-change'
import { ReadOnlyNotice } from './read-only'
import { RouteForm } from './route-form'
import { UpstreamForm } from './upstream-form'

type Editing = { kind: 'route'; index: number } | { kind: 'upstream'; route: number; index: number } | undefined

const cacheText = (cache: RouteDoc['cache']) => (cache === undefined ? 'off' : typeof cache === 'string' ? cache : `${cache.mode}${cache.scope === undefined ? '' : `, ${cache.scope}`}`)

/** Routes (issue 15 point 5): each route, its upstreams in failover order with their health, and forms to change them. */
export function RoutesPage() {
  const [editing, setEditing] = useState<Editing>(undefined)
  const change = useChange()
  const loaded = config.value
  const routes = loaded?.document.routes ?? []
  const canEdit = isAdmin() && loaded?.readOnly === null
  const health = samples.value.findLast((sample) => sample.upstreams !== undefined)?.upstreams ?? []
  const healthOf = (route: string, index: number) => health.filter((entry) => entry.route === route)[index]

  const remove = (what: string, path: (string | number)[]) => {
    if (window.confirm(`Remove ${what}? The change is written to the config file and applied at once.`)) void change.run([{ op: 'delete', path }])
  }
  return (
    <section aria-labelledby="routes-title">
      <div class="page-head">
        <h1 id="routes-title">Routes</h1>
        {canEdit && (
          <button type="button" class="primary" onClick={() => setEditing({ kind: 'route', index: routes.length })}>
            Add route
          </button>
        )}
      </div>
      <p class="lead">A request goes to the route with the longest matching path prefix, then to its upstreams in the order below (cooling ones last).</p>
      <ReadOnlyNotice />
      <ErrorNotice error={change.error} />
      {routes.length === 0 && <Empty>No routes.</Empty>}
      {routes.map((route, routeIndex) => (
        <article class="card route" key={`${route.path}-${routeIndex}`} aria-label={`Route ${route.path}`}>
          <header class="route-head">
            <h2 class="mono">{route.path}</h2>
            <span class="pill muted">{route.type ?? 'openai'}</span>
            <span class="pill muted">{route.strategy ?? 'ordered'}</span>
            <span class="pill muted">cache {cacheText(route.cache)}</span>
            {route.records !== undefined && <span class="pill muted">records {route.records}</span>}
            {route.clientTokens !== undefined && <span class="pill muted">{route.clientTokens.length} client tokens</span>}
            <span class="spacer" />
            {canEdit && (
              <>
                <button type="button" class="ghost" onClick={() => setEditing({ kind: 'route', index: routeIndex })} aria-label={`Edit route ${route.path}`}>
                  Edit
                </button>
                <button type="button" class="ghost" onClick={() => setEditing({ kind: 'upstream', route: routeIndex, index: route.upstreams.length })} aria-label={`Add an upstream to ${route.path}`}>
                  Add upstream
                </button>
                <button type="button" class="ghost danger" disabled={routes.length === 1} onClick={() => remove(`the route ${route.path}`, ['routes', routeIndex])} aria-label={`Remove route ${route.path}`}>
                  Remove
                </button>
              </>
            )}
          </header>
          <div class="table-wrap">
            <table class="data" aria-label={`Upstreams of ${route.path}, in failover order`}>
              <thead>
                <tr>
                  <th scope="col">#</th>
                  <th scope="col">Name</th>
                  <th scope="col">Provider</th>
                  <th scope="col">URL</th>
                  <th scope="col">Keys</th>
                  <th scope="col">Models</th>
                  <th scope="col">Health</th>
                  {canEdit && <th scope="col">Actions</th>}
                </tr>
              </thead>
              <tbody>
                {route.upstreams.map((upstream, index) => {
                  const state = healthOf(route.path, index)
                  const label = upstream.name ?? upstream.url ?? `upstream ${index + 1}`
                  const models = upstream.models
                  return (
                    <tr key={index}>
                      <td>{index + 1}</td>
                      <td>{upstream.name ?? '–'}</td>
                      <td>{upstream.provider ?? 'openai'}</td>
                      <td class="mono wrap">{upstream.url ?? '(default)'}</td>
                      <td class="mono">{(upstream.keys ?? []).join(', ') || '–'}</td>
                      <td class="small">
                        {models?.allow !== undefined && <div>only {models.allow.join(', ')}</div>}
                        {models?.deny !== undefined && <div>not {models.deny.join(', ')}</div>}
                        {models?.map !== undefined && <div>{Object.entries(models.map).map(([from, to]) => `${from}→${to}`).join(', ')}</div>}
                        {models === undefined && 'any'}
                      </td>
                      <td>
                        {state === undefined ? (
                          <span class="pill muted">–</span>
                        ) : state.up ? (
                          <span class="pill ok">up</span>
                        ) : (
                          <span class="pill bad" title={`${state.consecutiveFailures} failures in a row`}>
                            cooling{state.coolingUntil === null ? '' : `, back ${relative(state.coolingUntil)}`}
                          </span>
                        )}
                      </td>
                      {canEdit && (
                        <td class="nowrap">
                          <button type="button" class="icon" disabled={index === 0} aria-label={`Move ${label} up`} onClick={() => void change.run([{ op: 'move', path: ['routes', routeIndex, 'upstreams', index], to: index - 1 }])}>
                            ↑
                          </button>
                          <button type="button" class="icon" disabled={index === route.upstreams.length - 1} aria-label={`Move ${label} down`} onClick={() => void change.run([{ op: 'move', path: ['routes', routeIndex, 'upstreams', index], to: index + 1 }])}>
                            ↓
                          </button>
                          <button type="button" class="link" aria-label={`Edit upstream ${label}`} onClick={() => setEditing({ kind: 'upstream', route: routeIndex, index })}>
                            Edit
                          </button>
                          <button type="button" class="link danger" disabled={route.upstreams.length === 1} aria-label={`Remove upstream ${label}`} onClick={() => remove(`the upstream ${label}`, ['routes', routeIndex, 'upstreams', index])}>
                            Remove
                          </button>
                        </td>
                      )}
                    </tr>
                  )
                })}
              </tbody>
            </table>
          </div>
        </article>
      ))}
      {loaded !== undefined && loaded.readOnly === null && !isAdmin() && <Notice tone="info">You are logged in as a viewer: you can see everything but change nothing.</Notice>}
      {editing?.kind === 'route' && <RouteForm route={routes[editing.index]} index={editing.index} onClose={() => setEditing(undefined)} />}
      {editing?.kind === 'upstream' && <UpstreamForm routeIndex={editing.route} routePath={routes[editing.route]!.path} upstream={routes[editing.route]!.upstreams[editing.index]} index={editing.index} onClose={() => setEditing(undefined)} />}
    </section>
  )
}
