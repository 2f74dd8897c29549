#!/usr/bin/env node
// cti_load.mjs — the CTI screen-pop benchmark (issue 4): opens N agent event streams
// (GET /api/v1/events, one per agent user), posts ringing call events at R per second for S
// seconds as a telephony integration would, and measures the time from sending the POST to the
// screen_pop arriving on the routed agent's stream (p50, p99, max), plus the POST reply time.
// Each call ends HOLD_MS after its pop so agents become free again. Uses node:http with a
// keep-alive pool (--sockets, 256) for the call events rather than fetch: fetch cost ~1 ms of
// CPU per request, so at 1,000 requests/s the load generator itself was the bottleneck on a
// small machine and its event-loop lag showed up as pop latency.
//
//   node bench/cti_load.mjs --url http://127.0.0.1:18181 --token ADMIN_TOKEN \
//        [--agents 200] [--rate 500] [--seconds 10] [--numbers bench/out/numbers.txt]
//
// Agent users cti-bench-NNN (role service) are created on first use; their API tokens are made
// with the admin token (no password sign-in per agent).
import fs from 'node:fs';
import http from 'node:http';
import { performance } from 'node:perf_hooks';

const args = Object.fromEntries(
	process.argv
		.slice(2)
		.reduce((pairs, a, i, all) => (a.startsWith('--') ? [...pairs, [a.slice(2), all[i + 1]]] : pairs), []),
);
const URL_BASE = args.url || 'http://127.0.0.1:8080';
const ADMIN = args.token || process.env.GX_TOKEN;
const AGENTS = Number(args.agents || 200);
const RATE = Number(args.rate || 500);
const SECONDS = Number(args.seconds || 10);
const HOLD_MS = Number(args['hold-ms'] || 200);
const SOCKETS = Number(args.sockets || 256);
const target = new URL(URL_BASE);
const pool = new http.Agent({ keepAlive: true, maxSockets: SOCKETS });
const NUMBERS = args.numbers && fs.existsSync(args.numbers) ? fs.readFileSync(args.numbers, 'utf8').split('\n').filter(Boolean) : [];
if (!ADMIN) {
	console.error('cti_load: --token (an admin token) or GX_TOKEN is required');
	process.exit(2);
}

function api(token, method, path, body) {
	return new Promise((resolve, reject) => {
		const payload = body === undefined ? undefined : JSON.stringify(body);
		const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
		if (payload !== undefined) headers['content-length'] = Buffer.byteLength(payload);
		const req = http.request(
			{ host: target.hostname, port: target.port, path, method, headers, agent: pool },
			(res) => {
				const parts = [];
				res.on('data', (c) => parts.push(c));
				res.on('end', () => {
					const text = Buffer.concat(parts).toString('utf8');
					try {
						resolve({ status: res.statusCode, body: text ? JSON.parse(text) : null });
					} catch (e) {
						reject(e);
					}
				});
				res.on('error', reject);
			},
		);
		req.on('error', reject);
		req.end(payload);
	});
}

async function agentToken(i, existing) {
	const username = `cti-bench-${String(i).padStart(3, '0')}`;
	let id = existing.get(username);
	if (!id) {
		const r = await api(ADMIN, 'POST', '/api/v1/users', { username, password: 'cti-bench-password', role: 'service' });
		if (r.status !== 201) throw new Error(`create ${username}: ${r.status} ${JSON.stringify(r.body)}`);
		id = r.body.id;
	}
	const t = await api(ADMIN, 'POST', '/api/v1/tokens', { name: `${username} bench`, user_id: id });
	if (t.status !== 201) throw new Error(`token for ${username}: ${t.status}`);
	return t.body.token;
}

const sent = new Map(); // call_id -> performance.now() at POST
const popLatency = [];
const postLatency = [];
let pops = 0;
let unrouted = 0;
let errors = 0;

function openStream(token) {
	return new Promise((resolve, reject) => {
		let ready = false;
		// one socket per stream, outside the pool
		const req = http.get(
			{ host: target.hostname, port: target.port, path: '/api/v1/events', headers: { authorization: `Bearer ${token}` }, agent: false },
			(res) => {
				if (res.statusCode !== 200) return reject(new Error(`events: ${res.statusCode}`));
				res.setEncoding('utf8');
				let buf = '';
				res.on('data', (chunk) => {
					const now = performance.now();
					buf += chunk;
					let cut;
					while ((cut = buf.indexOf('\n\n')) >= 0) {
						const block = buf.slice(0, cut);
						buf = buf.slice(cut + 2);
						if (!ready && block.includes('event: ready')) {
							ready = true;
							resolve({ abort: () => req.destroy() });
						}
						if (!block.includes('event: screen_pop')) continue;
						const m = /"call_id":"([^"]+)"/.exec(block);
						const t0 = m && sent.get(m[1]);
						if (t0 === undefined) continue;
						popLatency.push(now - t0);
						pops++;
						sent.delete(m[1]);
						setTimeout(() => endCall(m[1]), HOLD_MS);
					}
				});
				res.on('error', () => {});
			},
		);
		req.on('error', (e) => (ready ? undefined : reject(e)));
	});
}

let integration;
function endCall(callId) {
	api(integration, 'POST', '/api/v1/cti/calls', { event: 'ended', call_id: callId }).catch(() => errors++);
}

function percentile(values, p) {
	if (!values.length) return NaN;
	const sorted = [...values].sort((a, b) => a - b);
	return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function main() {
	const list = await api(ADMIN, 'GET', '/api/v1/users');
	if (list.status !== 200) throw new Error(`GET /api/v1/users: ${list.status} (an admin token is needed)`);
	const existing = new Map(list.body.data.map((u) => [u.username, u.id]));
	const me = await api(ADMIN, 'GET', '/api/v1/me');
	integration = (await api(ADMIN, 'POST', '/api/v1/tokens', { name: 'cti bench integration', user_id: me.body.id })).body.token;
	const t0 = performance.now();
	const tokens = [];
	for (let i = 0; i < AGENTS; i += 10)
		tokens.push(...(await Promise.all(Array.from({ length: Math.min(10, AGENTS - i) }, (_, k) => agentToken(i + k, existing)))));
	console.log(`agents: ${AGENTS} users and tokens ready in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
	const aborts = await Promise.all(tokens.map(openStream));
	console.log(`streams: ${aborts.length} open`);

	const total = RATE * SECONDS;
	const run = Date.now().toString(36);
	let n = 0;
	const start = performance.now();
	await new Promise((resolve) => {
		const tick = () => {
			const due = Math.min(total, Math.floor(((performance.now() - start) / 1000) * RATE));
			for (; n < due; n++) {
				const callId = `bench-${run}-${n}`;
				const from = NUMBERS.length ? NUMBERS[n % NUMBERS.length] : `+86139${String(10000000 + n).slice(-8)}`;
				const at = performance.now();
				sent.set(callId, at);
				api(integration, 'POST', '/api/v1/cti/calls', { event: 'ringing', call_id: callId, from })
					.then((r) => {
						postLatency.push(performance.now() - at);
						if (r.status !== 200) errors++;
						else if (!r.body.call.agent) {
							unrouted++;
							sent.delete(callId);
							endCall(callId);
						}
					})
					.catch(() => errors++);
			}
			if (n >= total) resolve();
			else setTimeout(tick, 2);
		};
		tick();
	});
	const elapsed = (performance.now() - start) / 1000;
	const cpu = process.cpuUsage();
	await new Promise((r) => setTimeout(r, 2000 + HOLD_MS)); // late pops and the last ends
	for (const a of aborts) a.abort();
	const f = (v) => `${v.toFixed(1)} ms`;
	console.log(`calls: ${n} posted in ${elapsed.toFixed(1)} s (${(n / elapsed).toFixed(0)}/s), ${pops} pops received, ${unrouted} unrouted (no free agent), ${sent.size} pops missing, ${errors} errors`);
	console.log(`POST -> screen_pop on the agent's stream: p50 ${f(percentile(popLatency, 50))}, p99 ${f(percentile(popLatency, 99))}, max ${f(Math.max(...popLatency))}`);
	console.log(`load generator CPU (whole run): user ${(cpu.user / 1e6).toFixed(1)} s, system ${(cpu.system / 1e6).toFixed(1)} s`);
	console.log(`POST reply: p50 ${f(percentile(postLatency, 50))}, p99 ${f(percentile(postLatency, 99))}`);
	process.exit(0);
}

main().catch((e) => {
	console.error(`cti_load: ${e.message}`);
	process.exit(1);
});
