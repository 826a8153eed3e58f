import { diffLines } from 'diff'

/** What changed between two versions of the config, line by line, as the audit log and a conflict show it. */
export function DiffView({ before, after, label }: { before: string; after: string; label: string }) {
  const parts = diffLines(before, after)
  if (parts.every((part) => !part.added && !part.removed)) return <p class="empty">No difference.</p>
  return (
    <pre class="diff" aria-label={label} tabIndex={0}>
      {parts.map((part, index) => {
        const sign = part.added ? '+' : part.removed ? '-' : ' '
        const lines = part.value.replace(/\n$/, '').split('\n')
        // Long unchanged stretches are folded to their first and last lines.
        const shown = !part.added && !part.removed && lines.length > 6 ? [...lines.slice(0, 2), `… ${lines.length - 4} lines unchanged`, ...lines.slice(-2)] : lines
        return (
          <span key={index} class={part.added ? 'add' : part.removed ? 'del' : 'same'}>
            {shown.map((line) => `${sign} ${line}\n`).join('')}
          </span>
        )
      })}
    </pre>
  )
}

/** A unified diff as the audit log keeps it, coloured. */
export function PatchView({ patch, label }: { patch: string; label: string }) {
  const lines = patch.split('\n').filter((line) => !line.startsWith('===') && !line.startsWith('Index:'))
  return (
    <pre class="diff" aria-label={label} tabIndex={0}>
      {lines.map((line, index) => (
        <span key={index} class={line.startsWith('+') && !line.startsWith('+++') ? 'add' : line.startsWith('-') && !line.startsWith('---') ? 'del' : line.startsWith('@@') ? 'hunk' : 'same'}>
          {`${line}\n`}
        </span>
      ))}
    </pre>
  )
}
