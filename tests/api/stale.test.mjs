// stale.test.mjs — the list filter last_contact_before ("last contact older than N days") of
// contacts and accounts: records without any interaction at or after the date or time, including
// those never contacted; it combines with other filters and paging, and bad values are 400.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { assertError, assertStatus, startServer, walk } from './lib/server.mjs';

let srv;
let admin;
const ids = {};

before(async () => {
	srv = await startServer();
	admin = await srv.loginAdmin();
	const post = async (p, body) => assertStatus(await srv.api(admin, 'POST', p, body), 201);
	ids.recentAcc = (await post('/api/v1/accounts', { name: '近期客户' })).id;
	ids.oldAcc = (await post('/api/v1/accounts', { name: '久未联系客户', tags: ['vip'] })).id;
	ids.neverAcc = (await post('/api/v1/accounts', { name: 'Never Contacted Ltd' })).id;
	ids.recent = (await post('/api/v1/contacts', { name: '近期', account_id: ids.recentAcc })).id;
	ids.old = (await post('/api/v1/contacts', { name: '久未', account_id: ids.oldAcc, tags: ['vip'] })).id;
	ids.never = (await post('/api/v1/contacts', { name: 'Never' })).id;
	const log = (contact_id, occurred_at) => post('/api/v1/interactions', { contact_id, channel: 'phone', direction: 'outbound', occurred_at });
	await log(ids.recent, '2026-03-01T10:00:00Z');
	await log(ids.recent, '2025-01-01T10:00:00Z');
	await log(ids.old, '2025-06-30T23:59:59Z');
});
after(() => srv?.cleanup());

const list = async (p) => assertStatus(await srv.api(admin, 'GET', p), 200).data.map((r) => r.id).sort((a, b) => a - b);

test('contacts: last_contact_before a date lists the stale and the never-contacted', async () => {
	assert.deepEqual(await list('/api/v1/contacts?last_contact_before=2026-01-01'), [ids.old, ids.never].sort((a, b) => a - b));
	assert.deepEqual(await list('/api/v1/contacts?last_contact_before=2025-06-30'), [ids.never]);
	assert.deepEqual(await list('/api/v1/contacts?last_contact_before=2027-01-01'), [ids.recent, ids.old, ids.never].sort((a, b) => a - b));
});

test('contacts: a time is exact to the second (an interaction at that moment counts as contact)', async () => {
	assert.deepEqual(await list('/api/v1/contacts?last_contact_before=2025-06-30T23:59:59Z'), [ids.never]);
	assert.deepEqual(await list('/api/v1/contacts?last_contact_before=2025-07-01T07:59:59%2B08:00'), [ids.never]);
	assert.deepEqual(await list('/api/v1/contacts?last_contact_before=2025-07-01T08:00:00%2B08:00'), [ids.old, ids.never].sort((a, b) => a - b));
});

test('accounts: by the interactions of the account', async () => {
	assert.deepEqual(await list('/api/v1/accounts?last_contact_before=2026-01-01'), [ids.oldAcc, ids.neverAcc].sort((a, b) => a - b));
});

test('combines with other filters, search and paging', async () => {
	assert.deepEqual(await list('/api/v1/contacts?last_contact_before=2026-01-01&tag=vip'), [ids.old]);
	assert.deepEqual(await list('/api/v1/accounts?last_contact_before=2026-01-01&q=never'), [ids.neverAcc]);
	const { rows, pages } = await walk(srv, admin, '/api/v1/contacts?last_contact_before=2026-01-01&limit=1');
	assert.equal(pages, 2);
	assert.deepEqual(rows.map((r) => r.id).sort((a, b) => a - b), [ids.old, ids.never].sort((a, b) => a - b));
});

test('bad values are 400 naming the parameter; other kinds do not have the filter', async () => {
	for (const v of ['', 'yesterday', '2026-02-30', '2026-1-1', '30'])
		assertError(await srv.api(admin, 'GET', `/api/v1/contacts?last_contact_before=${encodeURIComponent(v)}`), 400, 'bad_request', 'last_contact_before');
	assertError(await srv.api(admin, 'GET', '/api/v1/interactions?last_contact_before=2026-01-01'), 400, 'bad_request', 'last_contact_before');
	assertError(await srv.api(admin, 'GET', '/api/v1/orders?last_contact_before=2026-01-01'), 400, 'bad_request', 'last_contact_before');
});

test('visibility still applies', async () => {
	const sales = await srv.user(admin, { username: 'sales.stale', role: 'sales', team: 'x' });
	assert.deepEqual(await (async () => assertStatus(await srv.api(sales.token, 'GET', '/api/v1/contacts?last_contact_before=2027-01-01'), 200).data)(), []);
});

test('the server stops cleanly', async () => {
	await srv.stopAndCheck();
});
