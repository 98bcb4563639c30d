// svcplane as a library, for any host with WebAssembly (browsers, Deno, workers, Node): nothing
// here reads a file or needs a Node module. In Node, 'svcplane' resolves to src/node.ts, which
// adds files, kubeconfig and the core read from build/. See README.md ("Library").

// A dataplane: build it from the cluster, push packets, apply watch events, read counters.
export {
  Dataplane, writeDescriptor, type DataplaneOptions, type EventResult, type PacketIn, type PacketOut,
} from './dataplane.js';
export type { Counters } from './core/counters.js';
export { Core, instantiateCore, coreImports, setDefaultCoreModule, type CoreOptions, type WasmInput } from './core/core.js';
export { ServiceTables, type NodeConfig, type ApplyStats, type SlotChange, type UpdateOptions } from './core/tables.js';
export type { CapacityOptions } from './core/capacity.js';
export { MAGLEV_COMPATS, CILIUM_TABLE_SIZES, CILIUM_DEFAULT_SEED, ciliumBackendIdentity, katranSeeds, type MaglevCompat } from './core/maglev-compat.js';
export { katranRealHash } from './core/katran-real-hash.js';
export { VERDICT_NAMES, REASON_NAMES, reasonName, type VerdictName } from './core/abi.js';
export * as abi from './core/abi.js';

// Replaying a capture from a stream or bytes, and its report.
export {
  replayStream, DEFAULT_SLICE_BYTES, type StreamReplayOptions, type StreamReplayResult, type ReplayProgress,
  type ByteChunks, type NodeWritableLike,
} from './replay/stream.js';
export {
  formatSummary, partialReport, type ReplayReport, type ServiceReport, type BackendReport, type UpdateReport,
  type Timeline, type UpdateLoad, type MaglevShare,
} from './replay/report.js';
// The --html page: a pure function of a report and Chart.js's bundle (chartBundle() in the Node entry reads it).
export { renderHtmlReport, type HtmlReportOptions } from './report/html.js';

// Captures: the zero-copy batch over the core's regions, link types.
export { CaptureBatch } from './capture/batch.js';
export { linkTypeName } from './capture/linktypes.js';

// Cluster objects from text or bytes, --updates events, kube-proxy's rules.
export {
  loadManifests, parseObjectsText, parseEventsText, applyEvent, computeClusterState, healthCheckResponse,
  emptyClusterObjects, formatProblem, ClusterView,
  type ClusterObjects, type ClusterState, type ClusterEvent, type WatchEvent, type ServicePortState, type Backend,
  type NodeContext, type Problem, type LoadOptions, type LoadResult,
} from './k8s/index.js';

// Errors. Bad input: CaptureFormatError (a capture), ManifestError (cluster objects or events),
// CapacityError (a capacity; a CoreError), TableError (a node address or CIDR the tables refuse).
export { CaptureFormatError } from './capture/errors.js';
export { ManifestError } from './k8s/load.js';
export { CoreError, CapacityError } from './core/errors.js';
export { TableError } from './core/tables.js';
