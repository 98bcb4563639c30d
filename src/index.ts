// svcplane as a library. See README.md ("Library").

// Replaying a capture, as the command does.
export { replay, replayAsync, partialReport, type ReplayOptions } from './replay/replay.js';
export { formatSummary, type ReplayReport, type ServiceReport, type BackendReport, type UpdateReport } from './replay/report.js';

// A dataplane of one's own: build it from the cluster, push packets, apply watch events, read counters.
export {
  Dataplane, writeDescriptor, type DataplaneOptions, type EventResult, type PacketIn, type PacketOut,
} from './dataplane.js';
export type { Counters } from './core/counters.js';
export { Core, type CoreOptions } from './core/core.js';
export { ServiceTables, type NodeConfig, type ApplyStats, type SlotChange, type UpdateOptions } from './core/tables.js';
export type { CapacityOptions } from './core/capacity.js';
export { VERDICT_NAMES, REASON_NAMES, reasonName, type VerdictName } from './core/abi.js';
export * as abi from './core/abi.js';

// Captures.
export {
  openCaptureReader, openCaptureWriter, CaptureBatch, linkTypeName,
  type CaptureReader, type CaptureWriter, type CaptureWriterOptions, type CaptureInterface,
} from './capture/index.js';

// Cluster objects: manifests, --updates events, kube-proxy's rules.
export {
  loadClusterObjects, parseObjectsText, parseEventsText, applyEvent, computeClusterState, healthCheckResponse,
  emptyClusterObjects, formatProblem, ClusterView,
  type ClusterObjects, type ClusterState, type ClusterEvent, type WatchEvent, type ServicePortState, type Backend,
  type NodeContext, type Problem, type LoadOptions, type LoadResult,
} from './k8s/index.js';
/** Reading a live cluster pulls in @kubernetes/client-node; import it only when needed. */
export const loadFromKubeconfig = async (...args: Parameters<typeof import('./k8s/live.js').loadFromKubeconfig>) =>
  (await import('./k8s/live.js')).loadFromKubeconfig(...args);
/** A live cluster, kept current: list, then watch (loaded when first called, as loadFromKubeconfig). */
export const listCluster = async (...args: Parameters<typeof import('./k8s/watch.js').listCluster>) =>
  (await import('./k8s/watch.js')).listCluster(...args);
export const watchCluster = async (...args: Parameters<typeof import('./k8s/watch.js').watchCluster>) =>
  (await import('./k8s/watch.js')).watchCluster(...args);
export type { ClusterWatch, ListedCluster, WatchOptions, WatchTarget } from './k8s/watch.js';

// Errors. Bad input: CaptureFormatError (a capture), ManifestError (cluster objects or events),
// CapacityError (a capacity; a CoreError), TableError (a node address or CIDR the tables refuse),
// LiveClusterError (the API server).
export { CaptureFormatError } from './capture/errors.js';
export { ManifestError } from './k8s/load.js';
export { CoreError, CapacityError } from './core/errors.js';
export { TableError } from './core/tables.js';
export { LiveClusterError } from './k8s/live-http.js';
