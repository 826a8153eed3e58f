import { Notice } from '../components/notice'
import { config } from '../lib/config'

/** Said on every editing page when the config cannot be changed here, with the way out: its native YAML. */
export function ReadOnlyNotice() {
  const readOnly = config.value?.readOnly
  if (readOnly === null || readOnly === undefined) return null
  return (
    <Notice tone="info">
      Read-only: {readOnly}.{' '}
      <a href="/admin/api/config/export" download="relay.yaml">
        Download it as native YAML
      </a>{' '}
      (secrets masked) to edit and run with <code>--config</code>.
    </Notice>
  )
}
