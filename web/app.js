// The page: replays a capture in the browser through the library (when this build has its portable
// entry), or opens a JSON report; either way the report is shown by the same renderer as
// `svcplane replay --html` (dist/src/report/html.js), in a frame.

import { renderHtmlReport } from '../dist/src/report/html.js';

const $ = (id) => document.getElementById(id);
const chartJs = fetch('../node_modules/chart.js/dist/chart.umd.min.js').then((r) => {
  if (!r.ok) throw new Error(`Chart.js: ${r.status} ${r.statusText}`);
  return r.text();
});
const downloads = [];

/** One line, as the command says it: `svcplane: <file>: <what>`. */
function fail(message) {
  const el = $('error');
  el.textContent = `svcplane: ${message}`;
  el.hidden = false;
  $('replay-status').textContent = '';
}

function clearOutputs() {
  $('error').hidden = true;
  for (const url of downloads.splice(0)) URL.revokeObjectURL(url);
  $('downloads').replaceChildren();
  $('downloads').hidden = true;
}

function offer(name, parts, type) {
  const url = URL.createObjectURL(new Blob(parts, { type }));
  downloads.push(url);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.textContent = `Download ${name}`;
  $('downloads').append(a);
  $('downloads').hidden = false;
}

/** Shows a report, and offers it (JSON and HTML) for download. */
async function show(report, title) {
  const html = renderHtmlReport(report, await chartJs, { title });
  const frame = $('report');
  frame.srcdoc = html;
  frame.hidden = false;
  offer('report.json', [JSON.stringify(report, null, 2) + '\n'], 'application/json');
  offer('report.html', [html], 'text/html');
}

// ---- Opening a report

/** The fields every report has (docs/cli.md): a file that lacks one is not a report. */
const REPORT_FIELDS = { packets: 'object', drops: 'object', services: 'object', conntrack: 'object', capture: 'object', updates: 'object', problems: 'object' };

export function checkReport(value) {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'not a svcplane report (not a JSON object)';
  for (const [field, type] of Object.entries(REPORT_FIELDS)) {
    if (typeof value[field] !== type || value[field] === null) return `not a svcplane report (no "${field}")`;
  }
  if (!Array.isArray(value.services) || !Array.isArray(value.updates) || !Array.isArray(value.problems)) return 'not a svcplane report (services, updates or problems is not a list)';
  if (typeof value.packets.in !== 'number') return 'not a svcplane report (no "packets.in")';
  return undefined;
}

async function openReport(file) {
  clearOutputs();
  let report;
  try {
    report = JSON.parse(await file.text());
  } catch (e) {
    return fail(`${file.name}: ${e.message}`);
  }
  const problem = checkReport(report);
  if (problem) return fail(`${file.name}: ${problem}`);
  await show(report);
}

$('report-file').addEventListener('change', (e) => {
  const file = e.target.files[0];
  if (file) openReport(file);
});

// ---- Replaying in the browser

let library;

/** The portable library (no Node), or why this build has none; loaded on the first replay. */
function loadLibrary() {
  library ??= import('../dist/src/index.js').then(
    (lib) => (typeof lib.replayStream === 'function' && typeof lib.Dataplane?.create === 'function' && typeof lib.loadManifests === 'function'
      ? { lib } : { missing: 'replay in the browser: this build of the library needs Node (no replayStream or Dataplane.create)' }),
    (e) => ({ missing: `replay in the browser: this build of the library does not load in a browser (${e.message})` }),
  );
  return library;
}

const list = (id) => $(id).value.split(/[\s,]+/).filter(Boolean);

async function replayFiles(capture, manifests, updatesFile) {
  clearOutputs();
  const { lib, missing } = await loadLibrary();
  if (missing) return fail(missing);
  const status = $('replay-status');
  try {
    const texts = new Map();
    for (const f of manifests) texts.set(f.name, new Uint8Array(await f.arrayBuffer()));
    const loaded = lib.loadManifests([...texts.keys()], (name) => texts.get(name));
    const updates = updatesFile ? lib.parseEventsText(await updatesFile.text(), updatesFile.name).events.filter((e) => e.at !== undefined) : [];
    const dataplane = await lib.Dataplane.create({
      wasm: fetch('../build/core.wasm'), objects: loaded.objects, nodeName: $('node').value || undefined,
      nodeIPs: list('node-ip'), podCIDRs: list('cluster-cidr'), serviceCIDRs: list('service-cidr'), roomForUpdates: updates.length > 0,
    });
    const out = [];
    const output = new WritableStream({ write(chunk) { out.push(chunk.slice()); } });
    const { report } = await lib.replayStream({
      dataplane, input: capture.stream(), size: capture.size, name: capture.name, output, updates,
      onProgress: (p) => { status.textContent = `${p.packets} packets, ${Math.floor((100 * p.bytesRead) / (p.size || 1))}%`; },
    });
    report.problems = [...loaded.problems.map(lib.formatProblem), ...report.problems];
    status.textContent = `${report.packets.in} packets replayed.`;
    await show(report, `svcplane replay: ${capture.name}`);
    offer(translatedName(capture.name), out, 'application/vnd.tcpdump.pcap');
  } catch (e) {
    fail(e.message);
  }
}

function translatedName(name) {
  const dot = name.lastIndexOf('.');
  return dot > 0 ? `${name.slice(0, dot)}-translated${name.slice(dot)}` : `${name}-translated`;
}

$('replay').addEventListener('click', () => {
  const capture = $('capture').files[0];
  if (!capture) return fail('choose a capture first');
  replayFiles(capture, [...$('manifests').files], $('updates').files[0]);
});

$('demo').addEventListener('click', async () => {
  const fetchFile = async (path, name) => {
    const r = await fetch(path);
    if (!r.ok) throw new Error(`${path}: ${r.status} ${r.statusText}`);
    return new File([await r.blob()], name);
  };
  try {
    const [capture, cluster] = await Promise.all([fetchFile('../pcaps/demo.pcapng', 'demo.pcapng'), fetchFile('../pcaps/demo-cluster.yaml', 'demo-cluster.yaml')]);
    await replayFiles(capture, [cluster], undefined);
  } catch (e) {
    fail(e.message);
  }
});

// Files dropped on a panel go to its inputs: a report; or a capture, manifests and an updates file by name.
for (const [zone, place] of [['report-drop', dropReport], ['replay-drop', dropReplay]]) {
  const el = $(zone);
  el.addEventListener('dragover', (e) => { e.preventDefault(); el.classList.add('over'); });
  el.addEventListener('dragleave', () => el.classList.remove('over'));
  el.addEventListener('drop', (e) => {
    e.preventDefault();
    el.classList.remove('over');
    place([...e.dataTransfer.files]);
  });
}

function dropReport(files) {
  if (files[0]) openReport(files[0]);
}

function dropReplay(files) {
  const capture = files.find((f) => /\.(pcap|pcapng|cap)$/i.test(f.name));
  const updates = files.find((f) => /\.jsonl$/i.test(f.name));
  const manifests = files.filter((f) => f !== capture && f !== updates);
  if (!capture) return fail('drop a capture (.pcap, .pcapng) with the manifests');
  replayFiles(capture, manifests, updates);
}
