// svcplane in Node: everything of the portable entry (src/index.ts), with what needs Node:
// Cores built from this package's build/core.wasm (no `wasm` option needed), captures and
// manifests read from files, file replay (replay, replayAsync), a live cluster.

import './core/wasm-file.js';

export * from './index.js';
export { coreModuleFromFile, coreWasmPath } from './core/wasm-file.js';

// Replaying a capture file, as the command does.
export { replay, replayAsync, type ReplayOptions } from './replay/replay.js';

// svcplane whatif: a capture through the current and a proposed state, compared; its summary and page.
export { whatif, type WhatifOptions, type WhatifReport } from './whatif/whatif.js';
export { withReplicas, parseReplicaChange, ReplicasError, type ReplicaChange, type ReplicaEffect } from './whatif/replicas.js';
export type { ServiceComparison, BackendComparison, Totals } from './whatif/compare.js';
export { formatWhatifSummary } from './whatif/summary.js';
export { renderWhatifHtml } from './report/whatif-html.js';

// Chart.js's bundle for renderHtmlReport, read from node_modules.
export { chartBundle } from './report/chart-bundle.js';

// Captures in files (CaptureReader, CaptureWriter: pcap and pcapng, standard input and output).
export {
  openCaptureReader, openCaptureWriter,
  type CaptureReader, type CaptureWriter, type CaptureWriterOptions, type CaptureInterface,
} from './capture/index.js';

// Cluster objects from files and directories.
export { loadClusterObjects } from './k8s/load-files.js';

/** Reading a live cluster pulls in @kubernetes/client-node; import it only when needed. */
export const loadFromKubeconfig = async (...args: Parameters<typeof import('./k8s/live.js').loadFromKubeconfig>) =>
  (await import('./k8s/live.js')).loadFromKubeconfig(...args);
/** A live cluster, kept current: list, then watch (loaded when first called, as loadFromKubeconfig). */
export const listCluster = async (...args: Parameters<typeof import('./k8s/watch.js').listCluster>) =>
  (await import('./k8s/watch.js')).listCluster(...args);
export const watchCluster = async (...args: Parameters<typeof import('./k8s/watch.js').watchCluster>) =>
  (await import('./k8s/watch.js')).watchCluster(...args);
export type { ClusterWatch, ListedCluster, WatchOptions, WatchTarget } from './k8s/watch.js';
export { LiveClusterError } from './k8s/live-http.js';
