// server.mjs — the shared harness of the black-box API tests: starts the real binary on a free
// port with a fresh database and web directory, talks HTTP to it, runs the CLI, and checks that
// the process stops cleanly (exit 0 on SIGTERM, no AddressSanitizer, LeakSanitizer or UBSan
// report). No npm dependencies: node:test, node:assert and fetch only.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const BIN = path.resolve(ROOT, process.env.GUANXI_BIN || 'build/asan/guanxi');
export const ADMIN_PASSWORD = 'admin-pass-0123';
export const PASSWORD = 'user-pass-0123';

export const INDEX_HTML = '<!doctype html><html><head><title>Guanxi test</title></head><body>app</body></html>\n';
export const APP_JS = 'console.log("guanxi test asset");\n';
export const APP_JS_NAME = 'app.0123abcd.js';

const SANITIZER_PATTERNS = [/ERROR: AddressSanitizer/, /LeakSanitizer/, /runtime error:/];

/* The sanitizer reports in a process's stderr, or []. */
export function sanitizerReports(stderr) {
	return SANITIZER_PATTERNS.filter((re) => re.test(stderr)).map((re) => re.source);
}

export function assertNoSanitizerReport(stderr, what = 'process') {
	const found = sanitizerReports(stderr);
	assert.deepEqual(found, [], `${what} printed a sanitizer report:\n${stderr.slice(-4000)}`);
}

/* Environment for the binary: the caller's, minus settings that would change what we test, plus
 * sanitizer defaults that make any leak or UB report count. */
function baseEnv(extra = {}) {
	const env = { ...process.env };
	for (const key of Object.keys(env))
		if (key.startsWith('GUANXI_') && key !== 'GUANXI_BIN') delete env[key];
	env.ASAN_OPTIONS ??= 'detect_leaks=1';
	env.UBSAN_OPTIONS ??= 'print_stacktrace=1:halt_on_error=1';
	env.GUANXI_DEMO_CONTACTS = '0';
	return { ...env, ...extra };
}

export function tempDir(prefix = 'guanxi-api-') {
	return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export async function freePort() {
	return new Promise((resolve, reject) => {
		const srv = net.createServer();
		srv.unref();
		srv.on('error', reject);
		srv.listen(0, '127.0.0.1', () => {
			const { port } = srv.address();
			srv.close(() => resolve(port));
		});
	});
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/* Servers still running when this test process exits (a crash, a timeout) are killed with it. */
const live = new Set();
process.on('exit', () => {
	for (const proc of live) proc.kill('SIGKILL');
});

/* A reply: status, parsed JSON body (or null), raw text and headers. */
async function toReply(res) {
	const text = await res.text();
	let body = null;
	try {
		body = text ? JSON.parse(text) : null;
	} catch {
		body = null;
	}
	return { status: res.status, body, text, headers: res.headers };
}

export class Server {
	/* options: env (extra environment), dir (reuse a directory, e.g. to restart on the same db),
	 * db (database path), webDir (serve this web directory as it is, e.g. the built browser app,
	 * instead of the test files). */
	constructor(options = {}) {
		this.options = options;
		this.dir = options.dir || tempDir();
		this.db = options.db || path.join(this.dir, 't.db');
		this.webDir = options.webDir || path.join(this.dir, 'web');
		this.stdout = '';
		this.stderr = '';
		this.proc = null;
		this.exit = null;
	}

	async start() {
		if (!this.options.webDir) {
			fs.mkdirSync(this.webDir, { recursive: true });
			fs.writeFileSync(path.join(this.webDir, 'index.html'), INDEX_HTML);
			fs.writeFileSync(path.join(this.webDir, APP_JS_NAME), APP_JS);
			fs.writeFileSync(path.join(this.webDir, '.hidden'), 'SECRET-HIDDEN-FILE\n');
		}
		fs.writeFileSync(path.join(this.dir, 'outside.txt'), 'SECRET-OUTSIDE-WEB-DIR\n');
		assert.ok(fs.existsSync(BIN), `${BIN} does not exist (set GUANXI_BIN)`);
		let lastError;
		for (let attempt = 0; attempt < 3; attempt++) {
			this.port = await freePort();
			this.url = `http://127.0.0.1:${this.port}`;
			try {
				await this.#spawn();
				return this;
			} catch (e) {
				lastError = e;
				if (this.exit === null) throw e; // running but not answering: do not retry
			}
		}
		throw lastError;
	}

	#spawn() {
		this.stdout = '';
		this.stderr = '';
		this.exit = null;
		const env = baseEnv({
			GUANXI_ADMIN_PASSWORD: ADMIN_PASSWORD,
			GUANXI_WEB_DIR: this.webDir,
			...(this.options.env || {}),
		});
		const proc = spawn(BIN, ['serve', '--listen', `127.0.0.1:${this.port}`, '--db', this.db], {
			env,
			stdio: ['ignore', 'pipe', 'pipe'],
		});
		this.proc = proc;
		live.add(proc);
		proc.stdout.setEncoding('utf8');
		proc.stderr.setEncoding('utf8');
		proc.stdout.on('data', (d) => (this.stdout += d));
		proc.stderr.on('data', (d) => (this.stderr += d));
		this.exited = new Promise((resolve) => {
			proc.on('exit', (code, signal) => {
				live.delete(proc);
				this.exit = { code, signal };
				resolve(this.exit);
			});
		});
		return this.#waitHealthy();
	}

	async #waitHealthy() {
		const deadline = Date.now() + 30000;
		while (Date.now() < deadline) {
			if (this.exit)
				throw new Error(`guanxi serve exited early (${JSON.stringify(this.exit)}):\n${this.stderr}`);
			try {
				const res = await fetch(`${this.url}/api/v1/health`);
				if (res.status === 200) {
					await res.text();
					return;
				}
			} catch {
				/* not listening yet */
			}
			await sleep(50);
		}
		throw new Error(`guanxi serve did not answer /api/v1/health within 30 s:\n${this.stderr}`);
	}

	/* SIGTERM (or another signal), then wait at most timeoutMs.
	 * Returns {code, signal, timedOut, stderr, ms}. */
	async stop(timeoutMs = 10000, signal = 'SIGTERM') {
		if (!this.proc) return { code: null, signal: null, timedOut: false, stderr: this.stderr, ms: 0 };
		const t0 = Date.now();
		if (!this.exit) this.proc.kill(signal);
		let timer;
		const result = await Promise.race([this.exited, new Promise((r) => (timer = setTimeout(() => r(null), timeoutMs)))]);
		clearTimeout(timer);
		const ms = Date.now() - t0;
		if (!result) {
			this.proc.kill('SIGKILL');
			await this.exited;
			return { code: null, signal: 'SIGKILL', timedOut: true, stderr: this.stderr, ms };
		}
		return { ...result, timedOut: false, stderr: this.stderr, ms };
	}

	/* Stops the server and asserts a clean exit: 0 within 10 s, no sanitizer report. */
	async stopAndCheck() {
		const r = await this.stop();
		assert.equal(r.timedOut, false, `the server did not stop within 10 s of SIGTERM:\n${r.stderr.slice(-3000)}`);
		assertNoSanitizerReport(r.stderr, 'guanxi serve');
		assert.equal(r.signal, null, `the server died of ${r.signal}:\n${r.stderr.slice(-3000)}`);
		assert.equal(r.code, 0, `the server exited with ${r.code}:\n${r.stderr.slice(-3000)}`);
		return r;
	}

	/* Kills a server a failed test left running and removes its files. For after() hooks. */
	async cleanup({ keepDir = false } = {}) {
		if (this.proc && !this.exit) {
			this.proc.kill('SIGKILL');
			await this.exited;
		}
		if (!keepDir && !process.env.GUANXI_KEEP_TMP) fs.rmSync(this.dir, { recursive: true, force: true });
	}

	/* fetch of an absolute path on this server; the reply's JSON parsed. */
	async request(method, p, { body, headers = {}, token } = {}) {
		const h = { ...headers };
		if (token) h.authorization = `Bearer ${token}`;
		let payload;
		if (body !== undefined) {
			payload = typeof body === 'string' || body instanceof Uint8Array ? body : JSON.stringify(body);
			if (!Object.keys(h).some((k) => k.toLowerCase() === 'content-type')) h['content-type'] = 'application/json';
		}
		const res = await fetch(this.url + p, { method, headers: h, body: payload, redirect: 'manual' });
		return toReply(res);
	}

	/* The API call of the tests: api(token, 'POST', '/api/v1/contacts', {...}). */
	api(token, method, p, body, headers = {}) {
		return this.request(method, p, { body, headers, token });
	}

	async login(username, password) {
		const r = await this.request('POST', '/api/v1/auth/login', { body: { username, password } });
		assert.equal(r.status, 200, `login of ${username}: ${r.text}`);
		assert.equal(typeof r.body.token, 'string');
		return r.body.token;
	}

	loginAdmin() {
		return this.login('admin', ADMIN_PASSWORD);
	}

	/* Creates a user as admin and returns {id, token} (signed in). */
	async user(adminToken, { username, role, team, password = PASSWORD, login = true, ...rest }) {
		const body = { username, password, role, ...rest };
		if (team !== undefined) body.team = team;
		const r = await this.api(adminToken, 'POST', '/api/v1/users', body);
		assert.equal(r.status, 201, `create user ${username}: ${r.text}`);
		const out = { id: r.body.id, user: r.body };
		if (login) out.token = await this.login(username, password);
		return out;
	}

	/* One raw HTTP/1.1 exchange over a socket (for paths fetch would normalise). */
	raw(text, timeoutMs = 5000) {
		return new Promise((resolve, reject) => {
			const sock = net.connect(this.port, '127.0.0.1');
			let data = '';
			const timer = setTimeout(() => {
				sock.destroy();
				resolve(data);
			}, timeoutMs);
			sock.setEncoding('latin1');
			sock.on('data', (d) => (data += d));
			sock.on('error', (e) => {
				clearTimeout(timer);
				reject(e);
			});
			sock.on('close', () => {
				clearTimeout(timer);
				resolve(data);
			});
			sock.write(text);
		});
	}

	/* A request with node:http, whose onSent callback runs once the body has been handed to the
	 * socket (used to send a signal while the server works on the request); localAddress makes
	 * it come from another loopback address (127.0.0.2...), i.e. another client for throttling. */
	httpRequest(method, p, { body, token, headers: extra = {}, localAddress, onSent } = {}) {
		return new Promise((resolve, reject) => {
			const payload = body === undefined ? undefined : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
			const headers = { connection: 'close', ...extra };
			if (payload) {
				headers['content-type'] = 'application/json';
				headers['content-length'] = payload.length;
			}
			if (token) headers.authorization = `Bearer ${token}`;
			const opts = { host: '127.0.0.1', port: this.port, method, path: p, headers, agent: false };
			if (localAddress) opts.localAddress = localAddress;
			const req = http.request(opts, (res) => {
				let text = '';
				res.setEncoding('utf8');
				res.on('data', (d) => (text += d));
				res.on('end', () => {
					let json = null;
					try {
						json = JSON.parse(text);
					} catch {
						json = null;
					}
					resolve({ status: res.statusCode, body: json, text, headers: res.headers });
				});
				res.on('error', reject);
			});
			req.on('error', reject);
			req.end(payload, () => onSent && onSent());
		});
	}
}

/* Starts a server. Each test file starts one in before(), ends with a test that calls
 * srv.stopAndCheck() (so a leak or a bad exit fails the suite) and calls srv.cleanup() in after()
 * to kill a server a failure left running. */
export async function startServer(options = {}) {
	const srv = new Server(options);
	await srv.start();
	return srv;
}

/* Checks the error shape of API.md: {"error": {"code", "message", "field"?}}. */
export function assertError(reply, status, code, field) {
	assert.equal(reply.status, status, `expected ${status} ${code}${field ? ` (${field})` : ''}, got ${reply.status}: ${reply.text}`);
	assert.ok(reply.body && typeof reply.body.error === 'object', `no error object in ${reply.text}`);
	assert.equal(reply.body.error.code, code, `error code in ${reply.text}`);
	assert.equal(typeof reply.body.error.message, 'string');
	assert.ok(reply.body.error.message.length > 0);
	if (field !== undefined) assert.equal(reply.body.error.field, field, `error field in ${reply.text}`);
	return reply.body.error;
}

/* Asserts a 2xx status, with the body in the message when it is not. */
export function assertStatus(reply, status) {
	assert.equal(reply.status, status, `expected ${status}, got ${reply.status}: ${reply.text}`);
	return reply.body;
}

/* Runs the CLI: {code, stdout, stderr}; also checks it printed no sanitizer report. */
export function runCli(args, { env = {}, input, timeoutMs = 60000 } = {}) {
	return new Promise((resolve, reject) => {
		const proc = spawn(BIN, args, { env: baseEnv(env), stdio: ['pipe', 'pipe', 'pipe'] });
		let stdout = '';
		let stderr = '';
		proc.stdout.setEncoding('utf8');
		proc.stderr.setEncoding('utf8');
		proc.stdout.on('data', (d) => (stdout += d));
		proc.stderr.on('data', (d) => (stderr += d));
		const timer = setTimeout(() => proc.kill('SIGKILL'), timeoutMs);
		proc.on('error', reject);
		proc.on('exit', (code, signal) => {
			clearTimeout(timer);
			assertNoSanitizerReport(stderr, `guanxi ${args.join(' ')}`);
			resolve({ code, signal, stdout, stderr });
		});
		proc.stdin.end(input ?? '');
	});
}

/* Walks a collection with next_cursor (from startCursor when given); returns every row and the
 * number of pages, asserting the walk ends. */
export async function walk(srv, token, basePath, { startCursor = null, maxPages = 200 } = {}) {
	const rows = [];
	let cursor = startCursor;
	let pages = 0;
	for (;;) {
		const sep = basePath.includes('?') ? '&' : '?';
		const p = cursor ? `${basePath}${sep}cursor=${encodeURIComponent(cursor)}` : basePath;
		const r = await srv.api(token, 'GET', p);
		assert.equal(r.status, 200, `${p}: ${r.text}`);
		assert.ok(Array.isArray(r.body.data));
		assert.ok('next_cursor' in r.body, 'next_cursor is always present');
		rows.push(...r.body.data);
		pages++;
		assert.ok(pages <= maxPages, 'the cursor walk does not end');
		if (r.body.next_cursor === null) break;
		assert.equal(typeof r.body.next_cursor, 'string');
		cursor = r.body.next_cursor;
	}
	return { rows, pages };
}

export { sleep };
