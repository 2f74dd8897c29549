// input.test.mjs — hostile and broken input: malformed JSON, non-objects, invalid UTF-8, huge
// numbers, bodies over the limit (GUANXI_MAX_BODY=65536 here), SQL and FTS metacharacters, unknown
// endpoints and methods, and the static files (safe paths only, content types, caching, CSP).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { APP_JS, APP_JS_NAME, INDEX_HTML, assertError, assertStatus, startServer } from './lib/server.mjs';

let srv;
let admin;

before(async () => {
	srv = await startServer({ env: { GUANXI_MAX_BODY: '65536' } });
	admin = await srv.loginAdmin();
});
after(() => srv?.cleanup());

const countContacts = async () => assertStatus(await srv.api(admin, 'GET', '/api/v1/contacts?limit=500'), 200).data.length;

test('malformed JSON, non-object bodies, invalid UTF-8 and huge numbers are 400 bad_request; nothing is saved', async () => {
	const before = await countContacts();
	const bodies = [
		'{"name":',
		'{"name":"张伟",}',
		"{'name':'x'}",
		'{"name":"a"} trailing',
		'{"name":"a","name":"b"}',
		'[]',
		'[{"name":"x"}]',
		'"张伟"',
		'42',
		'null',
		'true',
		'{"name":"a\\u0000b"}',
		'{"name":"\\ud800"}',
		'{"name":"x","owner_id":123456789012345678901234567890}',
		'{"name":"x","duration_s":1e400}',
		Buffer.from([0x7b, 0x22, 0x6e, 0x61, 0x6d, 0x65, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]), // {"name":"\xff\xfe"}
		Buffer.concat([Buffer.from('{"name":"'), Buffer.from([0xe5, 0xbc]), Buffer.from('"}')]), // truncated 张
		Buffer.concat([Buffer.from('{"name":"'), Buffer.from([0xc0, 0xaf]), Buffer.from('"}')]), // overlong /
		Buffer.concat([Buffer.from('{"name":"'), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('"}')]), // UTF-8 surrogate
	];
	for (const body of bodies) {
		const r = await srv.api(admin, 'POST', '/api/v1/contacts', body);
		assertError(r, 400, 'bad_request');
		assert.match(r.headers.get('content-type'), /^application\/json/);
	}
	// the same for PATCH, bulk and login
	const c = assertStatus(await srv.api(admin, 'POST', '/api/v1/contacts', { name: '原名' }), 201);
	assertError(await srv.api(admin, 'PATCH', `/api/v1/contacts/${c.id}`, '{"name":'), 400, 'bad_request');
	assertError(await srv.api(admin, 'PATCH', `/api/v1/contacts/${c.id}`, '[]'), 400, 'bad_request');
	assertError(await srv.api(admin, 'PATCH', `/api/v1/contacts/${c.id}`, ''), 400, 'bad_request');
	assertError(await srv.api(admin, 'POST', '/api/v1/orders/bulk', '{"orders":[1,}'), 400, 'bad_request');
	assertError(await srv.request('POST', '/api/v1/auth/login', { body: '{"username":"admin","password":' }), 400, 'bad_request');
	assertError(await srv.api(admin, 'POST', '/api/v1/accounts'), 400, 'bad_request');
	assert.equal(assertStatus(await srv.api(admin, 'GET', `/api/v1/contacts/${c.id}`), 200).name, '原名');
	assert.equal(await countContacts(), before + 1);
});

test('a body over the limit is 413 payload_too_large; one under it is accepted', async () => {
	const before = await countContacts();
	const big = JSON.stringify({ name: 'x', notes: 'a'.repeat(70000) });
	const r = await srv.api(admin, 'POST', '/api/v1/contacts', big);
	assertError(r, 413, 'payload_too_large');
	assert.match(r.headers.get('content-security-policy'), /default-src/);
	assert.equal(await countContacts(), before);
	const bulk = JSON.stringify({ orders: Array.from({ length: 1000 }, () => ({ account_id: 1, ordered_at: '2026-01-01T00:00:00Z', amount: '1.00' })) });
	assert.ok(bulk.length > 65536);
	assertError(await srv.api(admin, 'POST', '/api/v1/orders/bulk', bulk), 413, 'payload_too_large');
	// the connection and the server are fine afterwards; 60 KB of text is under the limit
	const acc = assertStatus(await srv.api(admin, 'POST', '/api/v1/accounts', { name: '大文本公司' }), 201);
	const note = assertStatus(await srv.api(admin, 'POST', '/api/v1/interactions', { account_id: acc.id, channel: 'email', direction: 'inbound', body: '长'.repeat(20000) }), 201);
	assert.equal(note.body.length, 20000);
	// field limits still apply under the body limit
	assertError(await srv.api(admin, 'POST', '/api/v1/accounts', { name: 'x', notes: 'n'.repeat(20001) }), 422, 'validation_failed', 'notes');
});

test('SQL and search metacharacters are stored and returned verbatim, and are harmless in q, filters and sort', async () => {
	const nasty = [
		"Robert'); DROP TABLE contacts;--",
		"' OR '1'='1",
		'100% "quoted" _under_score_ \\back\\slash',
		'NEAR(a b) OR c* AND -d ^e "f',
		'😀 表情 Emoji Ltd',
		'<script>alert(1)</script>',
		'null',
	];
	const made = [];
	for (const name of nasty) {
		const acc = assertStatus(await srv.api(admin, 'POST', '/api/v1/accounts', { name, tags: [name], notes: name }), 201);
		assert.equal(acc.name, name);
		assert.deepEqual(acc.tags, [name]);
		const c = assertStatus(await srv.api(admin, 'POST', '/api/v1/contacts', { name, account_id: acc.id, emails: [{ address: "o'brien+test@example.com" }] }), 201);
		assert.equal(c.name, name);
		assert.equal(assertStatus(await srv.api(admin, 'GET', `/api/v1/contacts/${c.id}`), 200).name, name);
		made.push({ acc, c });
	}
	const total = await countContacts();
	for (const q of [...nasty, "'", '"', '%', '_', '*', ';', '--', '\\', 'OR', '\u0000', '%FF']) {
		for (const p of ['/api/v1/search', '/api/v1/contacts', '/api/v1/accounts']) {
			const r = await srv.api(admin, 'GET', `${p}?q=${encodeURIComponent(q)}`);
			assert.equal(r.status, 200, `${p}?q=${q}: ${r.text}`);
			assert.ok(Array.isArray(r.body.data));
		}
	}
	// an exact nasty name finds itself and not everything
	const hits = assertStatus(await srv.api(admin, 'GET', `/api/v1/contacts?q=${encodeURIComponent("' OR '1'='1")}`), 200).data;
	assert.ok(hits.some((h) => h.name === "' OR '1'='1"));
	assert.ok(hits.length < total, `a quote in q does not match every contact (${hits.length} of ${total})`);
	const pct = assertStatus(await srv.api(admin, 'GET', `/api/v1/contacts?q=${encodeURIComponent('100%')}`), 200).data;
	assert.deepEqual(pct.map((h) => h.name), ['100% "quoted" _under_score_ \\back\\slash']);
	const under = assertStatus(await srv.api(admin, 'GET', `/api/v1/contacts?q=${encodeURIComponent('_under_')}`), 200).data;
	assert.equal(under.length, 1, '_ is not a wildcard');
	const emoji = assertStatus(await srv.api(admin, 'GET', `/api/v1/search?q=${encodeURIComponent('😀 表情')}`), 200).data;
	assert.ok(emoji.some((h) => h.name === '😀 表情 Emoji Ltd'));
	// filters and sort with SQL in them
	assert.deepEqual(assertStatus(await srv.api(admin, 'GET', `/api/v1/contacts?tag=${encodeURIComponent("' OR 1=1 --")}`), 200).data, []);
	const tagged = assertStatus(await srv.api(admin, 'GET', `/api/v1/accounts?tag=${encodeURIComponent(nasty[0])}`), 200).data;
	assert.deepEqual(tagged.map((a) => a.name), [nasty[0]]);
	assertError(await srv.api(admin, 'GET', `/api/v1/contacts?sort=${encodeURIComponent('name; DROP TABLE contacts')}`), 400, 'bad_request', 'sort');
	assertError(await srv.api(admin, 'GET', `/api/v1/contacts?owner_id=${encodeURIComponent('1 OR 1=1')}`), 400, 'bad_request', 'owner_id');
	assertError(await srv.api(admin, 'GET', `/api/v1/contacts?${encodeURIComponent('name) OR (1')}=1`), 400, 'bad_request');
	assertError(await srv.api(admin, 'GET', `/api/v1/audit?entity=${encodeURIComponent("contact' --")}&id=1`), 400, 'bad_request', 'entity');
	assert.equal(await countContacts(), total, 'every contact is still there');
	// and the rows can be changed and deleted normally
	for (const { acc, c } of made) {
		assert.equal((await srv.api(admin, 'DELETE', `/api/v1/contacts/${c.id}`)).status, 204);
		assert.equal((await srv.api(admin, 'DELETE', `/api/v1/accounts/${acc.id}`)).status, 204);
	}
});

test('a query parameter that is not UTF-8 is refused with the error shape, never ignored', async () => {
	const bad = [];
	for (const p of ['/api/v1/lookup/phone?number=%FF%FE', '/api/v1/contacts?sort=%FF', '/api/v1/contacts?tier=%FF', '/api/v1/contacts?%FF=1', '/api/v1/audit?entity=%FF&id=1', '/api/v1/contacts?limit=%FF']) {
		const r = await srv.api(admin, 'GET', p);
		if (!(r.status >= 400 && r.status < 500) || !r.body?.error?.code) bad.push(`${p} -> ${r.status} ${r.text.slice(0, 80)}`);
	}
	assert.deepEqual(bad, [], 'replies that are not a 4xx with the error object');
});

test('unknown endpoints are 404 not_found; a known path with a wrong method is 405 (code bad_request)', async () => {
	for (const p of ['/api/v1/nope', '/api/v2/health', '/api/v1/contacts/0', '/api/v1/contacts/abc', '/api/v1/contacts/1/', '/api/v1/contacts/-1', '/api', '/api/', '/api/v1/contacts/12345678901234567890', '/api/v1/contacts/1/360/x', '/api/v1/CONTACTS']) {
		const r = await srv.api(admin, 'GET', p);
		assertError(r, 404, 'not_found');
		assert.match(r.headers.get('content-type'), /^application\/json/);
	}
	assertError(await srv.request('GET', '/api/v1/nope'), 404, 'not_found');
	for (const [method, p] of [
		['DELETE', '/api/v1/health'],
		['POST', '/api/v1/health'],
		['PUT', '/api/v1/contacts/1'],
		['POST', '/api/v1/contacts/1'],
		['PATCH', '/api/v1/contacts'],
		['DELETE', '/api/v1/contacts'],
		['GET', '/api/v1/orders/bulk'],
		['GET', '/api/v1/auth/login'],
		['DELETE', '/api/v1/users/1'],
		['GET', '/api/v1/tokens/1'],
		['POST', '/api/v1/contacts/1/360'],
	]) {
		const r = await srv.api(admin, method, p, method === 'GET' || method === 'DELETE' ? undefined : {});
		assertError(r, 405, 'bad_request');
	}
	assert.equal((await srv.request('DELETE', '/api/v1/contacts/1')).status, 401, 'a right method still needs auth');
});

test('static files: index.html for / and app routes, content types, caching, and CSP on every reply', async () => {
	const csp = (r) => assert.match(r.headers.get('content-security-policy') ?? '', /default-src 'self'.*frame-ancestors 'none'/);
	for (const p of ['/', '/contacts/5', '/accounts', '/contacts/5/360', '/index.html']) {
		const r = await srv.request('GET', p);
		assert.equal(r.status, 200, p);
		assert.equal(r.text, INDEX_HTML, p);
		assert.equal(r.headers.get('content-type'), 'text/html; charset=utf-8');
		assert.equal(r.headers.get('cache-control'), 'no-cache', `${p}: index.html is revalidated`);
		assert.equal(r.headers.get('x-content-type-options'), 'nosniff');
		csp(r);
	}
	const js = await srv.request('GET', `/${APP_JS_NAME}`);
	assert.equal(js.status, 200);
	assert.equal(js.text, APP_JS);
	assert.equal(js.headers.get('content-type'), 'text/javascript; charset=utf-8');
	assert.match(js.headers.get('cache-control'), /max-age=31536000/);
	assert.match(js.headers.get('cache-control'), /immutable/);
	csp(js);
	fs.writeFileSync(path.join(srv.webDir, 'style.css'), 'body{}');
	fs.writeFileSync(path.join(srv.webDir, 'manifest.json'), '{}');
	fs.writeFileSync(path.join(srv.webDir, 'logo.svg'), '<svg/>');
	for (const [file, type] of [['style.css', 'text/css; charset=utf-8'], ['manifest.json', 'application/json; charset=utf-8'], ['logo.svg', 'image/svg+xml']]) {
		const r = await srv.request('GET', `/${file}`);
		assert.equal(r.status, 200, file);
		assert.equal(r.headers.get('content-type'), type, file);
		assert.equal(r.headers.get('cache-control'), 'no-cache', `${file} has no content hash`);
	}
	const missing = await srv.request('GET', '/missing.0123abcd.js');
	assert.equal(missing.status, 404);
	csp(missing);
	const head = await srv.request('HEAD', '/');
	assert.equal(head.status, 200);
	assert.equal(head.text, '');
	const post = await srv.request('POST', '/', { body: 'x' });
	assert.equal(post.status, 405);
	csp(post);
	for (const r of [await srv.request('GET', '/api/v1/health'), await srv.request('GET', '/api/v1/me'), await srv.api(admin, 'GET', '/api/v1/nope')]) {
		csp(r);
		assert.equal(r.headers.get('x-frame-options'), 'DENY');
	}
});

test('static files: path tricks are 400 or 404 and never serve files outside web/ or hidden files', async () => {
	fs.symlinkSync(path.join(srv.dir, 'outside.txt'), path.join(srv.webDir, 'link.txt'));
	const raw = async (target) => {
		const reply = await srv.raw(`GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
		const status = Number(reply.split(' ')[1]);
		return { status, reply };
	};
	for (const target of [
		'/../etc/passwd',
		'/../../../../etc/passwd',
		'/%2e%2e/%2e%2e/%2e%2e/etc/passwd',
		'/%2e%2e/outside.txt',
		'/..%2foutside.txt',
		'/..%2F..%2Fetc%2Fpasswd',
		'/.hidden',
		'/%2ehidden',
		'/sub/../.hidden',
		'/..\\outside.txt',
		'/%5c..%5coutside.txt',
		'/index.html/../../outside.txt',
		'../outside.txt',
		'/link.txt',
	]) {
		const { status, reply } = await raw(target);
		assert.ok(status === 400 || status === 404, `${target}: ${reply.split('\r\n')[0]}`);
		assert.ok(!reply.includes('SECRET'), `${target} served a file it must not`);
		assert.ok(!reply.includes('root:'), `${target} served /etc/passwd`);
	}
	for (const p of ['/.hidden', '/..%2foutside.txt', '/%2e%2e%2foutside.txt']) {
		const r = await srv.request('GET', p);
		assert.ok(r.status === 400 || r.status === 404, `${p}: ${r.status}`);
		assert.ok(!r.text.includes('SECRET'));
	}
});

test('revenue that no longer fits is refused (422), never a 500', async () => {
	const acc = assertStatus(await srv.api(admin, 'POST', '/api/v1/accounts', { name: '巨额公司' }), 201);
	// each 999,999,999,999,999.99 fits; 93 of them summed for the tier do not fit 64 bits
	const orders = Array.from({ length: 93 }, () => ({ account_id: acc.id, ordered_at: '2026-01-01T00:00:00Z', amount: '999999999999999.99' }));
	const r = await srv.api(admin, 'POST', '/api/v1/orders/bulk', { orders });
	assert.notEqual(r.status, 500, `bulk of 93 huge orders: ${r.text}`);
	assert.ok(r.status === 200 || r.status === 422, r.text);
	const v = await srv.api(admin, 'GET', `/api/v1/accounts/${acc.id}/360`);
	assert.equal(v.status, 200, `360 of the account: ${v.text}`);
});

test('orders whose line total does not fit are refused with 422, and the server keeps running', async () => {
	const acc = assertStatus(await srv.api(admin, 'POST', '/api/v1/accounts', { name: '溢出测试' }), 201);
	const line = { sku: 'X', qty: 1000000000, unit_price: '92233720.00' };
	let r;
	try {
		r = await srv.api(admin, 'POST', '/api/v1/orders', { account_id: acc.id, ordered_at: '2026-01-01T00:00:00Z', lines: [line, line] });
	} catch (e) {
		assert.fail(`the server dropped the connection (crashed?): ${e.cause?.message ?? e.message}\n${srv.stderr.slice(-1500)}`);
	}
	assertError(r, 422, 'validation_failed');
	assert.match(r.body.error.field, /^(lines|amount)/);
	assert.equal((await srv.request('GET', '/api/v1/health')).status, 200);
});

test('the server stops cleanly on SIGTERM (exit 0, no sanitizer report)', async () => {
	await srv.stopAndCheck();
});
