// The Kubernetes client, loaded when first needed: it is large, ES modules only, and only
// --kubeconfig uses it. The command's bundle replaces this module (scripts/bundle.mjs) with one
// that asks the launcher to import it, since the bundle runs as a script.

export const loadClientNode = (): Promise<typeof import('@kubernetes/client-node')> => import('@kubernetes/client-node');
