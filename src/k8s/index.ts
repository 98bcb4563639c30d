// The k8s room's public surface: objects in, desired dataplane state out.
export * from './model.js';
export * from './ip.js';
export * from './objects.js';
export { validateObject, type Issue, type ValidationResult } from './validate.js';
export * from './load.js';
export * from './rules.js';
export { formatPath, type PathSeg } from './text.js';
// live.ts (loadFromKubeconfig) is deliberately not re-exported: it pulls in
// @kubernetes/client-node, which is slow to load; import it where needed.
export * from './view.js';
