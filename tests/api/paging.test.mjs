// paging.test.mjs — collections: limit, keyset cursors (no duplicates, nothing missing, stable
// under inserts), every sort key, filters, and 400 for bad limit, sort, cursor or filter.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { assertError, assertStatus, startServer, walk } from './lib/server.mjs';

let srv;
let admin;
let seller; // {id, token}: a manager who owns some records
const accounts = [];
const contacts = [];
const interactions = [];
const orders = [];

// Names with duplicates (ties are broken by id), Chinese, Latin, case and full-width.
const ACCOUNT_NAMES = ['华为', 'Alibaba', 'alibaba', '腾讯', 'Baidu', '京东', '华为', 'ByteDance', '小米', 'Ａｎｔ', '美团', 'NetEase', '网易', 'Zeta', '华为', 'alpha', '滴滴', 'Meituan', '百度', 'ZTE', '中兴', 'Lenovo', '联想'];
const CONTACT_NAMES = ['张伟', '王芳', '李娜', 'Jane Doe', '张伟', 'John Smith', '刘洋', '陈静', 'jane doe', '杨磊'];

before(async () => {
	srv = await startServer();
	admin = await srv.loginAdmin();
	seller = await srv.user(admin, { username: 'paging.manager', role: 'manager' });
	const post = async (p, body, token = admin) => assertStatus(await srv.api(token, 'POST', p, body), 201);
	for (const [i, name] of ACCOUNT_NAMES.entries())
		accounts.push(await post('/api/v1/accounts', { name, industry: i % 3 === 0 ? '制造' : '互联网', tags: i % 4 === 0 ? ['重点'] : [], owner_id: i % 5 === 0 ? seller.id : undefined }));
	for (let i = 0; i < 60; i++)
		contacts.push(await post('/api/v1/contacts', { name: CONTACT_NAMES[i % CONTACT_NAMES.length], account_id: accounts[i % 7].id, tags: i % 6 === 0 ? ['vip'] : ['普通'], owner_id: i % 4 === 0 ? seller.id : undefined }));
	for (let i = 0; i < 25; i++) {
		const day = String(1 + (i % 9)).padStart(2, '0'); // repeated times: ties broken by id
		interactions.push(await post('/api/v1/interactions', { contact_id: contacts[i % 5].id, channel: ['phone', 'email', 'visit'][i % 3], direction: i % 2 ? 'inbound' : 'outbound', occurred_at: `2026-03-${day}T08:00:00Z` }));
	}
	const amounts = ['5.00', '20.00', '100.00', '1000.00', '99.99', '-15.00', '20.00', '150000.00', '1200000.00', '0.01'];
	for (let i = 0; i < 25; i++) {
		const day = String(1 + (i % 8)).padStart(2, '0');
		orders.push(await post('/api/v1/orders', { contact_id: contacts[i % 3].id, ordered_at: `2026-04-${day}T00:00:00Z`, amount: amounts[i % amounts.length], status: i % 7 === 6 ? 'open' : 'completed', currency: i === 24 ? 'USD' : 'CNY' }));
	}
});
after(() => srv?.cleanup());

const bytes = (s) => Buffer.from(s, 'utf8');
/* The order the server promises: by the key (SQLite binary order), ties by id, both one way. */
function expectedOrder(rows, key, desc) {
	const cmpKey = (a, b) => {
		const x = key(a);
		const y = key(b);
		if (typeof x === 'string') return Buffer.compare(bytes(x), bytes(y));
		return x < y ? -1 : x > y ? 1 : 0;
	};
	const sorted = [...rows].sort((a, b) => cmpKey(a, b) || a.id - b.id);
	if (desc) sorted.reverse();
	return sorted.map((r) => r.id);
}
const cents = (s) => Math.round(Number(s) * 100);

async function checkWalk(kind, sort, limit, key, expectedCount, defaultDesc = false) {
	const { rows, pages } = await walk(srv, admin, `/api/v1/${kind}?limit=${limit}${sort ? `&sort=${sort}` : ''}`);
	const all = assertStatus(await srv.api(admin, 'GET', `/api/v1/${kind}?limit=500`), 200).data;
	expectedCount ??= all.length;
	const ids = rows.map((r) => r.id);
	assert.equal(new Set(ids).size, ids.length, `${kind} sort=${sort}: no duplicates`);
	assert.equal(ids.length, expectedCount, `${kind} sort=${sort}: nothing missing`);
	assert.equal(pages, Math.max(1, Math.ceil(expectedCount / limit)), `${kind} sort=${sort}: no empty last page`);
	const desc = sort ? sort.startsWith('-') : defaultDesc;
	assert.deepEqual(ids, expectedOrder(all, key, desc), `${kind} sort=${sort}: in order`);
	return rows;
}

test('limit defaults to 50 and is at most 500; next_cursor is null on the last page', async () => {
	const first = assertStatus(await srv.api(admin, 'GET', '/api/v1/contacts'), 200);
	assert.equal(first.data.length, 50);
	assert.equal(typeof first.next_cursor, 'string');
	const rest = assertStatus(await srv.api(admin, 'GET', `/api/v1/contacts?cursor=${encodeURIComponent(first.next_cursor)}`), 200);
	assert.equal(rest.data.length, 10);
	assert.equal(rest.next_cursor, null);
	const all = assertStatus(await srv.api(admin, 'GET', '/api/v1/contacts?limit=500'), 200);
	assert.equal(all.data.length, 60);
	assert.equal(all.next_cursor, null);
	const exact = assertStatus(await srv.api(admin, 'GET', '/api/v1/contacts?limit=60'), 200);
	assert.equal(exact.data.length, 60);
	assert.equal(exact.next_cursor, null, 'a page that ends the list has no next cursor');
	const one = assertStatus(await srv.api(admin, 'GET', '/api/v1/accounts?limit=1'), 200);
	assert.equal(one.data.length, 1);
});

test('accounts: walking every sort (name, -name, id, -id, tier, -tier, default) visits each row once, in order', async () => {
	// some tiers: silver and gold accounts
	await srv.api(admin, 'POST', '/api/v1/orders', { account_id: accounts[3].id, ordered_at: '2026-01-01T00:00:00Z', amount: '100000.00' });
	await srv.api(admin, 'POST', '/api/v1/orders', { account_id: accounts[9].id, ordered_at: '2026-01-01T00:00:00Z', amount: '1000000.00' });
	const n = accounts.length;
	const rows = await checkWalk('accounts', null, 5, (r) => r.name, n);
	assert.equal(rows[0].name, 'Alibaba', 'the default sort is by name');
	await checkWalk('accounts', 'name', 4, (r) => r.name, n);
	await checkWalk('accounts', '-name', 7, (r) => r.name, n);
	await checkWalk('accounts', 'id', 5, (r) => r.id, n);
	await checkWalk('accounts', '-id', 6, (r) => r.id, n);
	const byTier = await checkWalk('accounts', 'tier', 3, (r) => r.tier, n);
	assert.deepEqual([...new Set(byTier.map((r) => r.tier))], ['bronze', 'gold', 'silver']);
	await checkWalk('accounts', '-tier', 4, (r) => r.tier, n);
});

test('contacts, interactions and orders: walking every sort visits each row once, in order', async () => {
	await checkWalk('contacts', 'name', 7, (r) => r.name, 60);
	await checkWalk('contacts', '-name', 9, (r) => r.name, 60);
	await checkWalk('contacts', '-id', 11, (r) => r.id, 60);
	await checkWalk('contacts', 'tier', 13, (r) => r.tier, 60);
	await checkWalk('contacts', '-tier', 8, (r) => r.tier, 60);
	const inter = await checkWalk('interactions', null, 4, (r) => r.occurred_at, 25, true);
	assert.ok(inter[0].occurred_at >= inter[24].occurred_at, 'interactions default to latest first');
	await checkWalk('interactions', 'occurred_at', 6, (r) => r.occurred_at, 25);
	await checkWalk('interactions', '-occurred_at', 5, (r) => r.occurred_at, 25);
	await checkWalk('interactions', 'id', 9, (r) => r.id, 25);
	assert.equal(assertStatus(await srv.api(admin, 'GET', '/api/v1/orders?limit=500'), 200).data.length, 27, 'the 25 orders and 2 of the tier test');
	const ord = await checkWalk('orders', null, 4, (r) => r.ordered_at, 27, true);
	assert.ok(ord[0].ordered_at >= ord[26].ordered_at, 'orders default to latest first');
	await checkWalk('orders', 'ordered_at', 6, (r) => r.ordered_at, 27);
	const byAmount = await checkWalk('orders', 'amount', 4, (r) => cents(r.amount), 27);
	assert.equal(byAmount[0].amount, '-15.00', 'amounts sort as numbers, not text');
	assert.equal(byAmount[26].amount, '1200000.00');
	await checkWalk('orders', '-amount', 7, (r) => cents(r.amount), 27);
});

test('cursors are stable under inserts: no duplicates, new rows after the cursor appear, rows before do not', async () => {
	const p1 = assertStatus(await srv.api(admin, 'GET', '/api/v1/accounts?sort=name&limit=10'), 200);
	const early = assertStatus(await srv.api(admin, 'POST', '/api/v1/accounts', { name: 'AAA 先到公司' }), 201);
	const late = assertStatus(await srv.api(admin, 'POST', '/api/v1/accounts', { name: '龟 后到公司' }), 201);
	const { rows } = await walk(srv, admin, '/api/v1/accounts?sort=name&limit=10', { startCursor: p1.next_cursor });
	const ids = [...p1.data, ...rows].map((r) => r.id);
	assert.equal(new Set(ids).size, ids.length, 'no duplicates');
	assert.ok(ids.includes(late.id), 'a row inserted after the cursor position is visited');
	assert.ok(!ids.includes(early.id), 'a row inserted before the cursor position is not');
	assert.equal(ids.length, accounts.length + 1);
	// a deleted row at the cursor does not break the walk
	const q = assertStatus(await srv.api(admin, 'GET', '/api/v1/accounts?sort=name&limit=5'), 200);
	const lastOfPage = q.data[4];
	assert.equal((await srv.api(admin, 'DELETE', `/api/v1/accounts/${lastOfPage.id}`)).status, 204, 'the account has nothing linked');
	const next = assertStatus(await srv.api(admin, 'GET', `/api/v1/accounts?sort=name&limit=5&cursor=${encodeURIComponent(q.next_cursor)}`), 200);
	assert.equal(next.data.length, 5);
	assert.ok(next.data.every((r) => Buffer.compare(bytes(r.name), bytes(lastOfPage.name)) >= 0));
});

test('filters: owner_id, tag, tier, account_id, industry, channel, direction, status, currency, null', async () => {
	const filtered = async (kind, query) => (await walk(srv, admin, `/api/v1/${kind}?limit=4&${query}`)).rows;
	const child = assertStatus(await srv.api(admin, 'POST', '/api/v1/accounts', { name: '华为 子公司', parent_id: accounts[0].id }), 201);
	const all = {};
	for (const k of ['accounts', 'contacts', 'interactions', 'orders'])
		all[k] = assertStatus(await srv.api(admin, 'GET', `/api/v1/${k}?limit=500`), 200).data;
	const check = async (kind, query, pred) => {
		const got = (await filtered(kind, query)).map((r) => r.id).sort((a, b) => a - b);
		const want = all[kind].filter(pred).map((r) => r.id).sort((a, b) => a - b);
		assert.ok(want.length > 0, `${kind}?${query} has rows to find`);
		assert.ok(want.length < all[kind].length, `${kind}?${query} filters something out`);
		assert.deepEqual(got, want, `${kind}?${query}`);
	};
	await check('contacts', `owner_id=${seller.id}`, (r) => r.owner_id === seller.id);
	await check('contacts', 'tag=vip', (r) => r.tags.includes('vip'));
	await check('contacts', `tag=${encodeURIComponent('普通')}`, (r) => r.tags.includes('普通'));
	await check('contacts', `account_id=${accounts[2].id}`, (r) => r.account_id === accounts[2].id);
	await check('contacts', 'tier=bronze', (r) => r.tier === 'bronze');
	await check('contacts', `owner_id=${seller.id}&tag=vip`, (r) => r.owner_id === seller.id && r.tags.includes('vip'));
	await check('accounts', `industry=${encodeURIComponent('制造')}`, (r) => r.industry === '制造');
	await check('accounts', 'tier=gold', (r) => r.tier === 'gold');
	await check('accounts', `tag=${encodeURIComponent('重点')}`, (r) => r.tags.includes('重点'));
	await check('accounts', `owner_id=${seller.id}`, (r) => r.owner_id === seller.id);
	await check('accounts', 'parent_id=null', (r) => r.parent_id === null);
	await check('accounts', `parent_id=${accounts[0].id}`, (r) => r.id === child.id);
	assert.deepEqual(assertStatus(await srv.api(admin, 'GET', '/api/v1/contacts?owner_id=null'), 200).data, [], 'every contact has an owner');
	await check('interactions', 'channel=email', (r) => r.channel === 'email');
	await check('interactions', 'direction=inbound&channel=phone', (r) => r.direction === 'inbound' && r.channel === 'phone');
	await check('interactions', `contact_id=${contacts[1].id}`, (r) => r.contact_id === contacts[1].id);
	await check('orders', 'status=open', (r) => r.status === 'open');
	await check('orders', 'currency=USD', (r) => r.currency === 'USD');
	await check('orders', `contact_id=${contacts[0].id}&status=completed`, (r) => r.contact_id === contacts[0].id && r.status === 'completed');
	// filters, q and sort together
	const zw = await filtered('contacts', `q=zw&sort=-id&owner_id=${seller.id}`);
	assert.deepEqual(zw.map((r) => r.id), all.contacts.filter((r) => r.name === '张伟' && r.owner_id === seller.id).map((r) => r.id).sort((a, b) => b - a));
	assert.ok(zw.length > 1);
	// a filter that matches nothing is an empty page, not an error
	assert.deepEqual(assertStatus(await srv.api(admin, 'GET', '/api/v1/contacts?tag=nonexistent'), 200), { data: [], next_cursor: null });
	assert.deepEqual(assertStatus(await srv.api(admin, 'GET', '/api/v1/contacts?owner_id=999'), 200).data, []);
});

test('bad limit, sort, cursor or filter is 400 bad_request naming the parameter', async () => {
	for (const limit of ['0', '501', '-1', 'abc', '', '10abc', '1e2'])
		assertError(await srv.api(admin, 'GET', `/api/v1/contacts?limit=${limit}`), 400, 'bad_request', 'limit');
	for (const [kind, sort] of [
		['contacts', 'created_at'],
		['contacts', '-created_at'],
		['contacts', 'bogus'],
		['contacts', 'phones'],
		['contacts', 'occurred_at'],
		['accounts', 'amount'],
		['accounts', 'industry'],
		['interactions', 'name'],
		['orders', 'status'],
		['orders', '--amount'],
		['orders', ''],
	])
		assertError(await srv.api(admin, 'GET', `/api/v1/${kind}?sort=${sort}`), 400, 'bad_request', 'sort');
	const amountCursor = assertStatus(await srv.api(admin, 'GET', '/api/v1/orders?sort=amount&limit=2'), 200).next_cursor;
	const nameCursor = assertStatus(await srv.api(admin, 'GET', '/api/v1/contacts?sort=name&limit=2'), 200).next_cursor;
	const b64 = (v) => Buffer.from(JSON.stringify(v)).toString('base64url');
	for (const [p, what] of [
		['/api/v1/contacts?cursor=garbage!!', 'not base64url'],
		['/api/v1/contacts?cursor=', 'empty'],
		[`/api/v1/contacts?cursor=${b64({ a: 1 })}`, 'not a pair'],
		[`/api/v1/contacts?cursor=${b64(['x', 'y'])}`, 'id not an integer'],
		[`/api/v1/contacts?cursor=${b64([1, 2, 3])}`, 'three values'],
		[`/api/v1/contacts?sort=name&cursor=${b64([5, 2])}`, 'a number for a name'],
		[`/api/v1/orders?sort=ordered_at&cursor=${amountCursor}`, 'an amount cursor for ordered_at'],
		[`/api/v1/orders?sort=amount&cursor=${b64(['12.345', 3])}`, 'a bad amount'],
		[`/api/v1/contacts?sort=id&cursor=${nameCursor}`, 'a name cursor for id'],
	])
		assertError(await srv.api(admin, 'GET', p), 400, 'bad_request', 'cursor');
	for (const [kind, query, field] of [
		['contacts', 'colour=red', 'colour'],
		['contacts', 'owner_id=abc', 'owner_id'],
		['contacts', 'owner_id=0', 'owner_id'],
		['contacts', 'account_id=-3', 'account_id'],
		['contacts', 'tier=platinum', 'tier'],
		['contacts', 'name=%E5%BC%A0%E4%BC%9F', 'name'],
		['contacts', 'notes=x', 'notes'],
		['accounts', 'website=x', 'website'],
		['interactions', 'tag=vip', 'tag'],
		['interactions', 'channel=pigeon', 'channel'],
		['orders', 'status=shipped', 'status'],
		['orders', 'amount=5.00', 'amount'],
	])
		assertError(await srv.api(admin, 'GET', `/api/v1/${kind}?${query}`), 400, 'bad_request', field);
});

test('the server stops cleanly on SIGTERM (exit 0, no sanitizer report)', async () => {
	await srv.stopAndCheck();
});
