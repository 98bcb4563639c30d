// The core created the ways a host without Node's files creates it: from bytes, a
// WebAssembly.Module or a fetch Response (compiled while it streams), asynchronously; and the
// error when none is given and none is registered (the portable entry alone).

import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Core, CoreError, seedFromText } from '../src/core/core.js';
import { Dataplane } from '../src/dataplane.js';
import { parseObjectsText } from '../src/k8s/load.js';
import { ensureBuilt, REPO } from './helpers/cli.js';
import { buildPacket } from './helpers/packets.js';

const WASM = fs.readFileSync(path.join(REPO, 'build', 'core.wasm'));
const CLUSTER = parseObjectsText(fs.readFileSync(path.join(REPO, 'pcaps', 'demo-cluster.yaml')), 'demo-cluster.yaml').objects;
const NODE = { nodeName: 'node-a', nodeIPs: ['192.168.49.2'], podCIDRs: ['10.244.0.0/16'], serviceCIDRs: ['10.96.0.0/16'], roomForUpdates: false };
const SYNS = Array.from({ length: 20 }, (_, i) => ({
  data: buildPacket({ proto: 'TCP', src: '10.244.1.20', dst: '10.96.0.10', sport: 40000 + i, dport: 80, flags: 0x02 }), time: 1,
}));

describe('creating the core', () => {
  const expected = new Dataplane({ ...NODE, objects: CLUSTER }).process(SYNS);

  it('from bytes, a Module, and a Response with or without the wasm content type: the same answers', async () => {
    expect(new Set(expected.map((r) => r.backend)).size).toBeGreaterThan(1);
    const made = [
      new Dataplane({ ...NODE, objects: CLUSTER, wasm: new Uint8Array(WASM) }),
      new Dataplane({ ...NODE, objects: CLUSTER, wasm: new WebAssembly.Module(WASM) }),
      await Dataplane.create({ ...NODE, objects: CLUSTER, wasm: new Response(WASM, { headers: { 'content-type': 'application/wasm' } }) }),
      await Dataplane.create({ ...NODE, objects: CLUSTER, wasm: Promise.resolve(new Response(WASM)) }),
      await Dataplane.create({ ...NODE, objects: CLUSTER, wasm: WASM.buffer.slice(WASM.byteOffset, WASM.byteOffset + WASM.byteLength) }),
    ];
    for (const dp of made) expect(dp.process(SYNS)).toEqual(expected);
    const core = await Core.create({ wasm: WASM, ctMax: 1024, maxServicePorts: 16, maxBackends: 16, maxFrontends: 16 });
    expect(core.conntrack().capacity).toBe(1024);
  });

  it('create() builds the tables a slice at a time: the same answers as the constructor; an aborted signal stops it with its reason', async () => {
    // The demo's endpoint sets at 1000003 slots each: about one slice a table.
    const big = { ...NODE, objects: CLUSTER, maglevSize: 1_000_003 };
    const sliced = await Dataplane.create(big);
    expect(sliced.process(SYNS)).toEqual(new Dataplane(big).process(SYNS));
    const stop = new AbortController();
    const made = Dataplane.create({ ...big, signal: stop.signal });
    stop.abort(new Error('stopped'));
    await expect(made).rejects.toThrow('stopped');
  });

  it('a failed download or bytes that are not the core: an error, no core', async () => {
    await expect(Dataplane.create({ ...NODE, wasm: Promise.resolve(new Response('no', { status: 404 })) })).rejects.toThrow(CoreError);
    await expect(Dataplane.create({ ...NODE, wasm: Promise.resolve(new Response('no', { status: 404 })) })).rejects.toThrow(/HTTP 404/);
    expect(() => new Core({ wasm: Uint8Array.of(0, 0x61, 0x73, 0x6d, 9) })).toThrow(WebAssembly.CompileError);
  });

  it('none given and none registered (the portable entry without the Node one): CoreError saying what to pass', () => {
    ensureBuilt();
    const script = `
      import { Dataplane, CoreError } from ${JSON.stringify(path.join(REPO, 'dist', 'src', 'index.js'))};
      try { new Dataplane({}); console.log('created'); }
      catch (e) { console.log(e instanceof CoreError ? 'CoreError: ' + e.message : 'other: ' + e); }`;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(out.trim()).toMatch(/^CoreError: no WebAssembly core given: pass `wasm`/);
  });

  it('the hash seed: the first 8 bytes of SHA-256 of the text, as node:crypto computes them', () => {
    for (const text of ['svcplane', '', 'ünïcode ✓', 'x'.repeat(1000)]) {
      const d = createHash('sha256').update(text).digest();
      expect(seedFromText(text)).toEqual([d.readUInt32LE(0), d.readUInt32LE(4)]);
    }
  });
});
