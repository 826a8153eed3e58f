export { startMockUpstream } from './server.js'
export { behaviourFromOptions, defaultBehaviour, MockBehaviourError, overrideHeaders } from './behaviour.js'
export type { MockBehaviour, MockFault, MockRequest, MockUpstream, MockUpstreamOptions } from './types.js'
