// quality.test.mjs — data quality over HTTP: warnings and possible duplicates in create replies,
// the entry-time check, the scan and the duplicate list (a sales user never sees a pair with
// another team's record), the same for accounts (?kind=account: one company written several
// ways, pinyin and website; dismissal), merge (rights on both records) and undo, the quality
// report with duplicates per kind, and the privacy export and erasure (admin only).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { assertError, assertStatus, runCli, startServer } from './lib/server.mjs';

let srv;
let admin;
const u = {};

const post = (token, path, body) => srv.api(token, 'POST', path, body);
const get = (token, path) => srv.api(token, 'GET', path);

before(async () => {
	srv = await startServer();
	admin = await srv.loginAdmin();
	u.north = await srv.user(admin, { username: 'north1', role: 'sales', team: 'north' });
	u.south = await srv.user(admin, { username: 'south1', role: 'sales', team: 'south' });
	u.finance = await srv.user(admin, { username: 'cash', role: 'finance' });
	u.manager = await srv.user(admin, { username: 'boss', role: 'manager' });
});
after(() => srv?.cleanup());

test('create replies carry warnings and possible duplicates, never errors', async () => {
	const acme = assertStatus(await post(u.north.token, '/api/v1/accounts', { name: '华东贸易 Warn' }), 201);
	const first = assertStatus(await post(u.north.token, '/api/v1/contacts', { name: '张伟', account_id: acme.id }), 201);
	assert.equal(first.possible_duplicates, undefined);
	const second = assertStatus(
		await post(u.north.token, '/api/v1/contacts', {
			name: 'Zhang Wei',
			account_id: acme.id,
			birthday: '2999-01-01',
			emails: [{ address: 'zw@example.com' }],
		}),
		201,
	);
	assert.deepEqual(second.possible_duplicates.map((d) => d.id), [first.id]);
	assert.ok(second.possible_duplicates[0].reasons.some((r) => r.code === 'same_name_pinyin'));
	const codes = second.warnings.map((w) => w.code).sort();
	assert.deepEqual(codes, ['birthday_in_future', 'email_unreachable_domain']);
	const digits = assertStatus(await post(u.north.token, '/api/v1/contacts', { name: '12345' }), 201);
	assert.equal(digits.warnings[0].code, 'name_without_letters');
});

test('the check before saving finds the same phone written another way', async () => {
	const c = assertStatus(await post(u.north.token, '/api/v1/contacts', { name: '李娜', phones: [{ number: '138 0013 8000' }] }), 201);
	const r = assertStatus(await get(u.north.token, `/api/v1/duplicates/check?name=${encodeURIComponent('李娜')}&phone=${encodeURIComponent('+86 138-0013-8000')}`), 200);
	assert.deepEqual(r.data.map((d) => d.id), [c.id]);
	// Another team sees nothing.
	const s = assertStatus(await get(u.south.token, `/api/v1/duplicates/check?name=${encodeURIComponent('李娜')}&phone=13800138000`), 200);
	assert.deepEqual(s.data, []);
	assertError(await get(u.north.token, '/api/v1/duplicates/check?phone=12'), 422, 'validation_failed', 'phone');
	assertError(await get(u.north.token, '/api/v1/duplicates/check'), 400, 'bad_request');
});

test('scan and list: best first, a sales user sees only pairs of their team', async () => {
	const n1 = assertStatus(await post(u.north.token, '/api/v1/contacts', { name: '王磊', phones: [{ number: '13900000001' }] }), 201);
	const n2 = assertStatus(await post(u.north.token, '/api/v1/contacts', { name: '王磊', phones: [{ number: '139-0000-0001' }] }), 201);
	const s1 = assertStatus(await post(u.south.token, '/api/v1/contacts', { name: 'Wang Lei', phones: [{ number: '+86 139 0000 0001' }] }), 201);
	assertError(await post(u.north.token, '/api/v1/duplicates/scan', {}), 403, 'forbidden');
	const stats = assertStatus(await post(admin, '/api/v1/duplicates/scan', {}), 200);
	assert.ok(stats.pairs >= 3, JSON.stringify(stats));
	const all = assertStatus(await get(admin, '/api/v1/duplicates?limit=500'), 200);
	const scores = all.data.map((p) => p.score);
	assert.deepEqual(scores, [...scores].sort((a, b) => b - a));
	assert.ok(all.data.some((p) => p.a.id === n1.id && p.b.id === s1.id));
	const north = assertStatus(await get(u.north.token, '/api/v1/duplicates?limit=500'), 200);
	assert.ok(north.data.some((p) => p.a.id === n1.id && p.b.id === n2.id));
	for (const p of north.data) {
		assert.notEqual(p.a.id, s1.id);
		assert.notEqual(p.b.id, s1.id);
	}
	const south = assertStatus(await get(u.south.token, '/api/v1/duplicates?limit=500'), 200);
	assert.ok(south.data.every((p) => p.a.id !== n1.id && p.b.id !== n1.id));
	// Dismiss: gone from the list, also after the next scan.
	assertStatus(await post(u.north.token, '/api/v1/duplicates/dismiss', { a: n1.id, b: n2.id }), 204);
	await post(admin, '/api/v1/duplicates/scan', {});
	const again = assertStatus(await get(u.north.token, '/api/v1/duplicates?limit=500'), 200);
	assert.ok(!again.data.some((p) => p.a.id === n1.id && p.b.id === n2.id));
	assertError(await post(u.south.token, '/api/v1/duplicates/dismiss', { a: n1.id, b: s1.id }), 404, 'not_found');
});

test('accounts: possible duplicates on create and update, the check before saving', async () => {
	const n1 = assertStatus(await post(u.north.token, '/api/v1/accounts', { name: '深圳腾达电子有限公司', website: 'www.tengda.cn' }), 201);
	assert.equal(n1.possible_duplicates, undefined);
	const n2 = assertStatus(await post(u.north.token, '/api/v1/accounts', { name: '深圳騰達電子' }), 201);
	assert.deepEqual(n2.possible_duplicates.map((d) => d.id), [n1.id]);
	assert.deepEqual(n2.possible_duplicates[0].reasons.map((r) => r.code), ['same_name']);
	assert.equal(n2.possible_duplicates[0].score, 50);
	const patched = assertStatus(await srv.api(u.north.token, 'PATCH', `/api/v1/accounts/${n2.id}`, { website: 'https://tengda.cn/about', version: n2.version }), 200);
	assert.deepEqual(patched.possible_duplicates[0].reasons.map((r) => r.code), ['same_name', 'same_website']);
	// Another team's account: the same company in pinyin, never shown to north's rep.
	const s1 = assertStatus(await post(u.south.token, '/api/v1/accounts', { name: 'Shenzhen Tengda Dianzi Co., Ltd.', website: 'http://www.tengda.cn' }), 201);
	assert.equal(s1.possible_duplicates, undefined);
	const check = (token, q) => get(token, `/api/v1/duplicates/check?kind=account&${new URLSearchParams(q)}`);
	const north = assertStatus(await check(u.north.token, { name: 'Shenzhen Tengda Dianzi', website: 'tengda.cn' }), 200);
	assert.deepEqual(north.data.map((d) => [d.id, d.score]), [[n1.id, 80], [n2.id, 80]].sort((a, b) => a[0] - b[0]));
	assert.ok(north.data[0].reasons.some((r) => r.code === 'same_name_pinyin'));
	const south = assertStatus(await check(u.south.token, { name: 'Shenzhen Tengda Dianzi', website: 'tengda.cn' }), 200);
	assert.deepEqual(south.data.map((d) => d.id), [s1.id]);
	// Not the same company: one character in common.
	assert.deepEqual(assertStatus(await check(u.north.token, { name: '深圳华润电子有限公司' }), 200).data, []);
	assertError(await check(u.north.token, { name: '腾达', phone: '13800138000' }), 400, 'bad_request', 'phone');
	assertError(await get(u.north.token, '/api/v1/duplicates/check?kind=account'), 400, 'bad_request', 'name');
	assertError(await get(u.north.token, '/api/v1/duplicates/check?kind=firm&name=x'), 400, 'bad_request', 'kind');
});

test('accounts: scan, list by kind with both records, visibility, dismiss, the report per kind', async () => {
	const acc = (token) => get(token, '/api/v1/duplicates?kind=account&limit=500');
	const pair = (list, a, b) => list.data.find((p) => p.a.id === a && p.b.id === b);
	const named = async (name) => assertStatus(await get(admin, `/api/v1/accounts?q=${encodeURIComponent(name)}`), 200).data;
	const [n1, n2] = (await named('腾达')).sort((a, b) => a.id - b.id);
	const [s1] = await named('Tengda Dianzi');
	assert.ok(n1 && n2 && s1);
	assertError(await post(u.north.token, '/api/v1/duplicates/scan?kind=account', {}), 403, 'forbidden');
	assertError(await post(admin, '/api/v1/duplicates/scan?kind=firm', {}), 400, 'bad_request', 'kind');
	const stats = assertStatus(await post(u.manager.token, '/api/v1/duplicates/scan?kind=account', {}), 200);
	assert.equal(stats.contacts, undefined, 'only accounts were scanned');
	assert.ok(stats.accounts >= 3, JSON.stringify(stats));
	assert.deepEqual(Object.keys(stats.by_kind), ['account']);
	assert.equal(stats.pairs, stats.by_kind.account.pairs);
	const all = assertStatus(await acc(admin), 200);
	assert.equal(pair(all, n1.id, n2.id)?.score, 90, JSON.stringify(all.data));
	assert.equal(pair(all, n1.id, s1.id)?.score, 80);
	assert.equal(pair(all, n1.id, n2.id).a.website, 'www.tengda.cn', 'both records in full');
	assert.equal(pair(all, n1.id, n2.id).b.name, '深圳騰達電子');
	// The contacts' list stays the contacts'.
	const contacts = assertStatus(await get(admin, '/api/v1/duplicates?limit=500'), 200);
	assert.ok(contacts.data.every((p) => Array.isArray(p.a.phones)));
	assertError(await get(admin, '/api/v1/duplicates?kind=company'), 400, 'bad_request', 'kind');
	// A sales rep sees pairs of their own team's accounts only.
	const north = assertStatus(await acc(u.north.token), 200);
	assert.ok(pair(north, n1.id, n2.id));
	assert.ok(north.data.every((p) => p.a.id !== s1.id && p.b.id !== s1.id));
	assert.deepEqual(assertStatus(await acc(u.south.token), 200).data, []);
	const southReport = assertStatus(await get(u.south.token, '/api/v1/quality'), 200);
	assert.equal(southReport.accounts.duplicates.pairs, 0);
	const report = assertStatus(await get(admin, '/api/v1/quality'), 200);
	assert.ok(report.accounts.duplicates.pairs >= 2);
	assert.ok(report.accounts.duplicates.records >= 3);
	assert.deepEqual(report.duplicates, report.contacts.duplicates);
	// Dismiss: needs sight of both; gone, also after the next scan.
	assertError(await post(u.south.token, '/api/v1/duplicates/dismiss', { kind: 'account', a: n1.id, b: s1.id }), 404, 'not_found');
	assertError(await post(u.north.token, '/api/v1/duplicates/dismiss', { kind: 'firm', a: n1.id, b: n2.id }), 422, 'validation_failed', 'kind');
	assertError(await post(u.finance.token, '/api/v1/duplicates/dismiss', { kind: 'account', a: n1.id, b: n2.id }), 403, 'forbidden');
	assertStatus(await post(u.north.token, '/api/v1/duplicates/dismiss', { kind: 'account', a: n2.id, b: n1.id }), 204);
	assert.ok(!pair(assertStatus(await acc(u.north.token), 200), n1.id, n2.id));
	await post(admin, '/api/v1/duplicates/scan', {});
	const again = assertStatus(await acc(admin), 200);
	assert.ok(!pair(again, n1.id, n2.id));
	assert.ok(pair(again, n1.id, s1.id));
});

test('merge needs rights on both records; undo restores the merged one', async () => {
	const a = assertStatus(await post(u.north.token, '/api/v1/contacts', { name: 'Jon Smith', phones: [{ number: '13700000001' }] }), 201);
	const b = assertStatus(await post(u.north.token, '/api/v1/contacts', { name: 'John Smith', emails: [{ address: 'john@smith.cn' }] }), 201);
	const other = assertStatus(await post(u.south.token, '/api/v1/contacts', { name: 'John Smith' }), 201);
	const call = assertStatus(await post(u.north.token, '/api/v1/interactions', { contact_id: b.id, channel: 'phone', direction: 'inbound' }), 201);
	assertError(await post(u.north.token, '/api/v1/contacts/merge', { survivor: a.id, merged: other.id }), 404, 'not_found');
	assertError(await post(u.south.token, '/api/v1/contacts/merge', { survivor: other.id, merged: b.id }), 404, 'not_found');
	assertError(await post(u.finance.token, '/api/v1/contacts/merge', { survivor: a.id, merged: b.id }), 403, 'forbidden');
	assertError(await post(u.north.token, '/api/v1/contacts/merge', { survivor: a.id, merged: b.id, fields: { name: 'neither' } }), 422, 'validation_failed', 'fields');
	const m = assertStatus(await post(u.north.token, '/api/v1/contacts/merge', { survivor: a.id, merged: b.id, fields: { name: 'merged' } }), 200);
	assert.equal(m.survivor.name, 'John Smith');
	assert.equal(m.survivor.emails.length, 1);
	assert.equal(m.moved['interactions.contact_id'], 1);
	assertError(await get(u.north.token, `/api/v1/contacts/${b.id}`), 404, 'not_found');
	assert.equal(assertStatus(await get(u.north.token, `/api/v1/interactions/${call.id}`), 200).contact_id, a.id);
	const trail = assertStatus(await get(u.north.token, `/api/v1/audit?entity=contact&id=${a.id}`), 200);
	assert.ok(trail.data.some((r) => r.action === 'merge'));
	assertError(await post(u.south.token, `/api/v1/merges/${m.merge_id}/undo`, {}), 404, 'not_found');
	const undo = assertStatus(await post(u.north.token, `/api/v1/merges/${m.merge_id}/undo`, {}), 200);
	assert.equal(undo.restored.id, b.id);
	assert.equal(undo.survivor.name, 'Jon Smith');
	assert.equal(assertStatus(await get(u.north.token, `/api/v1/interactions/${call.id}`), 200).contact_id, b.id);
	assertError(await post(u.north.token, `/api/v1/merges/${m.merge_id}/undo`, {}), 409, 'conflict');
});

test('the quality report follows visibility', async () => {
	const all = assertStatus(await get(admin, '/api/v1/quality?stale_months=6'), 200);
	assert.equal(all.stale_months, 6);
	assert.ok(all.contacts.total > 0);
	assert.equal(typeof all.contacts.completeness.phones, 'number');
	assert.ok(all.contacts.invalid.birthdays >= 1);
	assert.ok(all.owners.length >= 2);
	const south = assertStatus(await get(u.south.token, '/api/v1/quality'), 200);
	assert.ok(south.contacts.total < all.contacts.total);
	assert.deepEqual(south.owners.map((o) => o.username), ['south1']);
	assertError(await get(admin, '/api/v1/quality?stale_months=0'), 400, 'bad_request', 'stale_months');
});

test('privacy: export everything, erase on request keeps the orders', async () => {
	const c = assertStatus(await post(u.north.token, '/api/v1/contacts', { name: '陈静', phones: [{ number: '13600000009' }], emails: [{ address: 'chen.jing@corp.cn' }] }), 201);
	await post(u.north.token, '/api/v1/interactions', { contact_id: c.id, channel: 'email', direction: 'inbound', subject: '陈静 asks about her order', body: 'private' });
	const order = assertStatus(await post(admin, '/api/v1/orders', { contact_id: c.id, ordered_at: '2026-01-02T00:00:00Z', amount: '88.00' }), 201);
	const doc = assertStatus(await get(u.north.token, `/api/v1/contacts/${c.id}/export`), 200);
	assert.equal(doc.contact.name, '陈静');
	assert.equal(doc.interactions.length, 1);
	assert.equal(doc.orders.length, 1);
	assert.ok(doc.audit.length >= 1);
	assertError(await get(u.south.token, `/api/v1/contacts/${c.id}/export`), 404, 'not_found');
	assertError(await post(u.manager.token, `/api/v1/contacts/${c.id}/erase`, {}), 403, 'forbidden');
	const erased = assertStatus(await post(admin, `/api/v1/contacts/${c.id}/erase`, {}), 200);
	assert.equal(erased.interactions_redacted, 1);
	const after = assertStatus(await get(admin, `/api/v1/contacts/${c.id}/export`), 200);
	const text = JSON.stringify(after);
	assert.ok(!text.includes('陈静') && !text.includes('13600000009') && !text.includes('chen.jing'), text);
	assert.equal(after.orders[0].amount, '88.00');
	assert.equal(after.orders[0].id, order.id);
	assert.ok(after.audit.some((r) => r.changes.erasure?.new === 'erased on request'));
	const hits = assertStatus(await get(admin, `/api/v1/search?q=${encodeURIComponent('陈静')}`), 200);
	assert.ok(!hits.data.some((h) => h.id === c.id));
	const lookup = assertStatus(await get(admin, '/api/v1/lookup/phone?number=13600000009'), 200);
	assert.deepEqual(lookup.matches, []);
});

test('CLI: duplicates, quality, privacy', async () => {
	const env = { GUANXI_DB: srv.db };
	const d = await runCli(['duplicates', 'scan', '--limit', '5'], { env });
	assert.equal(d.code, 0, d.stderr);
	assert.match(d.stdout, /same_/);
	assert.match(d.stderr, /scanned \d+ contacts:[^\n]*\nscanned \d+ accounts:/);
	const a = await runCli(['duplicates', '--kind', 'account', '--format', 'json'], { env });
	assert.equal(a.code, 0, a.stderr);
	assert.ok(JSON.parse(a.stdout).data.some((p) => p.reasons.some((r) => r.code === 'same_website')));
	assert.equal((await runCli(['duplicates', '--kind', 'firm'], { env })).code, 2);
	const q = await runCli(['quality', '--format', 'json'], { env });
	assert.equal(q.code, 0, q.stderr);
	assert.ok(JSON.parse(q.stdout).contacts.total > 0);
	assert.equal((await runCli(['merge', 'x'], { env })).code, 2);
	assert.equal((await runCli(['privacy', 'export', '999999'], { env })).code, 1);
	assert.equal((await runCli(['quality', '--help'], { env })).code, 0);
});

test('the server stops cleanly', async () => {
	await srv.stopAndCheck();
});
