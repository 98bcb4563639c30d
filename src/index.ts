// svcplane as a library. See README.md ("Library").

export { replay, replayAsync, type ReplayOptions } from './replay/replay.js';
export { formatSummary, type ReplayReport, type ServiceReport, type UpdateReport } from './replay/report.js';
export { Dataplane, type DataplaneOptions, type PacketIn, type PacketOut } from './dataplane.js';
export { Core, CoreError, CapacityError, type CoreOptions } from './core/core.js';
export { ServiceTables, TableError, type NodeConfig, type ApplyStats, type SlotChange } from './core/tables.js';
export * as abi from './core/abi.js';
export {
  openCaptureReader, openCaptureWriter, CaptureBatch, CaptureFormatError, linkTypeName,
  type CaptureReader, type CaptureWriter, type CaptureInterface,
} from './capture/index.js';
export {
  loadClusterObjects, parseObjectsText, parseEventsText, applyEvent, computeClusterState, healthCheckResponse,
  emptyClusterObjects, ManifestError, formatProblem,
  type ClusterObjects, type ClusterState, type ServicePortState, type Backend, type NodeContext, type Problem,
} from './k8s/index.js';
/** Reading a live cluster pulls in @kubernetes/client-node; import it only when needed. */
export const loadFromKubeconfig = async (...args: Parameters<typeof import('./k8s/live.js').loadFromKubeconfig>) =>
  (await import('./k8s/live.js')).loadFromKubeconfig(...args);
