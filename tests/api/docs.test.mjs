// docs.test.mjs — keeps docs/api.md true: every example exchange in it (a ```http request block
// followed by a ```http reply block) is replayed, in document order, against a fresh server, and
// the status, the headers the example shows and the JSON body must match. Values the server makes
// up (times of creation, tokens, days since a date) match any value of the same kind.
//
// Placeholders a request may use: <admin password>; <admin token>, <NAME token> (NAME signs in
// with the password its POST /api/v1/users example gave); <fresh NAME token> (a new session of
// NAME, for logout); <api token> (the token the first POST /api/v1/tokens example created).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { ADMIN_PASSWORD, ROOT, startServer } from './lib/server.mjs';

const DOC = path.join(ROOT, 'docs/api.md');
const TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;
const MADE_UP = {
	created_at: (v) => typeof v === 'string' && TIME.test(v),
	updated_at: (v) => typeof v === 'string' && TIME.test(v),
	at: (v) => typeof v === 'string' && TIME.test(v),
	token: (v) => typeof v === 'string' && v.length >= 40,
	days_since_last_order: (v) => Number.isInteger(v),
};

/* The ```http blocks of the document, paired request -> reply. */
function examples(markdown) {
	const blocks = [];
	const re = /^```http\n([\s\S]*?)^```$/gm;
	let m;
	while ((m = re.exec(markdown))) {
		const line = markdown.slice(0, m.index).split('\n').length;
		blocks.push({ text: m[1], line });
	}
	const pairs = [];
	for (let i = 0; i + 1 < blocks.length; i++) {
		const req = blocks[i];
		const res = blocks[i + 1];
		if (/^(GET|POST|PATCH|PUT|DELETE|HEAD|OPTIONS) /.test(req.text) && /^HTTP\/1\.1 \d{3}/.test(res.text)) {
			pairs.push({ req: parse(req.text), res: parse(res.text), line: req.line });
			i++;
		}
	}
	return pairs;
}

function parse(text) {
	const [head, ...rest] = text.split(/\n\n/);
	const [first, ...headerLines] = head.split('\n');
	const headers = headerLines.filter(Boolean).map((l) => {
		const i = l.indexOf(':');
		return [l.slice(0, i).trim(), l.slice(i + 1).trim()];
	});
	const body = rest.join('\n\n').trim();
	return { first, headers, body };
}

/* Replaces what the server makes up by the same marker on both sides, where both sides have a
 * value of the right kind. */
function normalise(doc, actual) {
	if (Array.isArray(doc) && Array.isArray(actual)) return [doc.map((d, i) => normalise(d, actual[i])[0]), actual.map((a, i) => normalise(doc[i], a)[1])];
	if (doc && actual && typeof doc === 'object' && typeof actual === 'object' && !Array.isArray(doc) && !Array.isArray(actual)) {
		const d = {};
		const a = {};
		for (const k of new Set([...Object.keys(doc), ...Object.keys(actual)])) {
			if (k in MADE_UP && MADE_UP[k](doc[k]) && MADE_UP[k](actual[k])) {
				if (k in doc) d[k] = `<${k}>`;
				if (k in actual) a[k] = `<${k}>`;
				continue;
			}
			const [x, y] = normalise(doc[k], actual[k]);
			if (k in doc) d[k] = x;
			if (k in actual) a[k] = y;
		}
		return [d, a];
	}
	return [doc, actual];
}

const pattern = (value) => new RegExp(`^${value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/<[^<>]+>/g, '.+?')}$`);

let srv;
const passwords = { admin: ADMIN_PASSWORD };
const tokens = {};
let apiToken = null;

async function tokenFor(name) {
	if (name === 'api') return apiToken;
	if (!tokens[name]) tokens[name] = await srv.login(name, passwords[name]);
	return tokens[name];
}

let used = []; // the names whose tokens the current request uses

async function substitute(text) {
	let out = text.replaceAll('<admin password>', ADMIN_PASSWORD);
	for (const [whole, name] of [...out.matchAll(/<fresh ([\w.-]+) token>/g)]) out = out.replace(whole, await srv.login(name, passwords[name]));
	for (const [, name] of [...out.matchAll(/<([\w.-]+) token>/g)]) {
		used.push(name);
		out = out.replaceAll(`<${name} token>`, await tokenFor(name));
	}
	return out;
}

before(async () => {
	srv = await startServer();
});
after(() => srv?.cleanup());

const markdown = fs.readFileSync(DOC, 'utf8');
const pairs = examples(markdown);

test('docs/api.md has examples', () => {
	assert.ok(pairs.length >= 40, `only ${pairs.length} example exchanges found`);
});

for (const { req, res, line } of pairs) {
	test(`docs/api.md:${line} ${req.first}`, async () => {
		const [method, target] = req.first.split(' ');
		used = [];
		const headers = {};
		for (const [k, v] of req.headers) headers[k] = await substitute(v);
		const body = req.body ? await substitute(req.body) : undefined;
		if (method === 'POST' && target === '/api/v1/users' && body) {
			const u = JSON.parse(body);
			passwords[u.username] = u.password;
		}
		const reply = await srv.request(method, target, { body, headers });
		if (target === '/api/v1/auth/logout' && reply.status === 204) for (const name of used) delete tokens[name];
		const status = Number(res.first.split(' ')[1]);
		const shown = `${reply.status} ${reply.text}`;
		assert.equal(reply.status, status, `status; the server said ${shown}`);
		for (const [k, v] of res.headers) {
			if (/^(date|content-length)$/i.test(k)) continue;
			const got = reply.headers.get(k);
			assert.ok(got !== null, `header ${k} is missing; the server said ${shown}`);
			assert.match(got, pattern(v), `header ${k}`);
		}
		if (!res.body) {
			assert.equal(reply.text, '', 'no body');
			return;
		}
		const want = JSON.parse(res.body);
		assert.ok(reply.body !== null, `the reply is not JSON: ${reply.text}`);
		if (method === 'POST' && target === '/api/v1/tokens' && reply.status === 201) apiToken ??= reply.body.token;
		const [d, a] = normalise(want, reply.body);
		assert.deepEqual(a, d, `body; the server said ${JSON.stringify(reply.body, null, 2)}`);
	});
}

test('the server stops cleanly on SIGTERM (exit 0, no sanitizer report)', async () => {
	await srv.stopAndCheck();
});
