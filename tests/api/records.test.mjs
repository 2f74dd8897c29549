// records.test.mjs — accounts, contacts, interactions and orders: create, read, partial update
// with optimistic locking, delete, validation, the audit trail, orders (decimal money, lines,
// idempotent ERP re-sends, all-or-nothing bulk, tiers) and the 360 views.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { assertError, assertStatus, startServer } from './lib/server.mjs';

let srv;
let admin;
let me; // the admin's user id

before(async () => {
	srv = await startServer();
	admin = await srv.loginAdmin();
	me = (await srv.api(admin, 'GET', '/api/v1/me')).body.id;
});
after(() => srv?.cleanup());

const RFC3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;
const post = async (p, body, token = admin) => assertStatus(await srv.api(token, 'POST', p, body), 201);
const get = async (p, token = admin) => assertStatus(await srv.api(token, 'GET', p), 200);
const patch = async (p, body, token = admin) => assertStatus(await srv.api(token, 'PATCH', p, body), 200);
const del = async (p, token = admin) => assertStatus(await srv.api(token, 'DELETE', p), 204);
const daysAgo = (n) => new Date(Date.now() - n * 86400000).toISOString().replace(/\.\d+Z$/, 'Z');

function assertCreated(row) {
	assert.equal(typeof row.id, 'number');
	assert.ok(row.id > 0);
	assert.match(row.created_at, RFC3339);
	assert.match(row.updated_at, RFC3339);
	assert.equal(row.version, 1);
}

test('accounts: create 201, get, partial PATCH with version, stale version 409, delete 204 then 404', async () => {
	const created = await post('/api/v1/accounts', {
		name: '北京华信科技有限公司',
		industry: '软件',
		website: 'https://huaxin.example.cn',
		tags: ['vip', '北京'],
		notes: 'Key account since 2019',
	});
	assertCreated(created);
	assert.equal(created.tier, 'bronze');
	assert.equal(created.owner_id, me, 'owner defaults to the creator');
	assert.equal(created.parent_id, null);
	assert.deepEqual(created.tags, ['vip', '北京']);
	const id = created.id;
	assert.deepEqual(await get(`/api/v1/accounts/${id}`), created);

	const changed = await patch(`/api/v1/accounts/${id}`, { industry: '企业软件', version: 1 });
	assert.equal(changed.industry, '企业软件');
	assert.equal(changed.version, 2);
	for (const k of ['name', 'website', 'tags', 'notes', 'owner_id', 'created_at', 'tier'])
		assert.deepEqual(changed[k], created[k], `${k} is unchanged by a partial PATCH`);
	assert.ok(changed.updated_at >= created.updated_at);

	const stale = await srv.api(admin, 'PATCH', `/api/v1/accounts/${id}`, { industry: 'stale', version: 1 });
	assertError(stale, 409, 'conflict', 'version');
	assert.equal((await get(`/api/v1/accounts/${id}`)).industry, '企业软件', 'a stale PATCH changes nothing');
	const future = await srv.api(admin, 'PATCH', `/api/v1/accounts/${id}`, { industry: 'future', version: 99 });
	assertError(future, 409, 'conflict', 'version');

	// without version: last writer wins; a PATCH that changes nothing keeps the version
	assert.equal((await patch(`/api/v1/accounts/${id}`, { notes: null })).version, 3);
	assert.equal((await patch(`/api/v1/accounts/${id}`, { notes: null })).version, 3);
	assert.equal((await get(`/api/v1/accounts/${id}`)).notes, null);

	await del(`/api/v1/accounts/${id}`);
	assertError(await srv.api(admin, 'GET', `/api/v1/accounts/${id}`), 404, 'not_found');
	assertError(await srv.api(admin, 'PATCH', `/api/v1/accounts/${id}`, { notes: 'x' }), 404, 'not_found');
	assertError(await srv.api(admin, 'DELETE', `/api/v1/accounts/${id}`), 404, 'not_found');
	assertError(await srv.api(admin, 'GET', '/api/v1/accounts/987654'), 404, 'not_found');
});

test('every kind: create 201, get, PATCH with version, stale version 409, delete 204, then 404 everywhere', async () => {
	const acc = await post('/api/v1/accounts', { name: '通用测试公司' });
	const con = await post('/api/v1/contacts', { name: '通用联系人' });
	const samples = {
		contacts: [{ name: '李雷', account_id: acc.id }, { title: '经理' }],
		interactions: [{ contact_id: con.id, channel: 'sms', direction: 'outbound', occurred_at: '2026-02-02T02:02:02Z' }, { outcome: '已回复' }],
		orders: [{ contact_id: con.id, ordered_at: '2026-02-02T00:00:00Z', amount: '88.00' }, { status: 'open' }],
		accounts: [{ name: '韩梅梅贸易' }, { industry: '贸易' }],
	};
	for (const [kind, [body, change]] of Object.entries(samples)) {
		const made = await post(`/api/v1/${kind}`, body);
		assertCreated(made);
		for (const [k, v] of Object.entries(body)) assert.deepEqual(made[k], v, `${kind}.${k}`);
		assert.deepEqual(await get(`/api/v1/${kind}/${made.id}`), made);
		const [key, value] = Object.entries(change)[0];
		const changed = await patch(`/api/v1/${kind}/${made.id}`, { ...change, version: 1 });
		assert.equal(changed[key], value);
		assert.equal(changed.version, 2);
		for (const k of Object.keys(body)) assert.deepEqual(changed[k], made[k], `${kind}.${k} is kept by a partial PATCH`);
		assertError(await srv.api(admin, 'PATCH', `/api/v1/${kind}/${made.id}`, { ...change, version: 1 }), 409, 'conflict', 'version');
		await del(`/api/v1/${kind}/${made.id}`);
		assertError(await srv.api(admin, 'GET', `/api/v1/${kind}/${made.id}`), 404, 'not_found');
		assertError(await srv.api(admin, 'PATCH', `/api/v1/${kind}/${made.id}`, change), 404, 'not_found');
		assertError(await srv.api(admin, 'DELETE', `/api/v1/${kind}/${made.id}`), 404, 'not_found');
		assert.ok(!(await get(`/api/v1/${kind}?limit=500`)).data.some((r) => r.id === made.id), `a deleted ${kind} row is not listed`);
	}
	await del(`/api/v1/contacts/${con.id}`);
	await del(`/api/v1/accounts/${acc.id}`);
});

test('accounts: parent_id links accounts, and no account can be its own ancestor', async () => {
	const group = await post('/api/v1/accounts', { name: '华信集团' });
	const sub = await post('/api/v1/accounts', { name: '华信上海分公司', parent_id: group.id });
	assert.equal(sub.parent_id, group.id);
	const view = await get(`/api/v1/accounts/${sub.id}/360`);
	assert.equal(view.parent.id, group.id);
	assert.equal(view.parent.name, '华信集团');
	assert.equal((await get(`/api/v1/accounts/${group.id}/360`)).parent, null);
	assertError(await srv.api(admin, 'PATCH', `/api/v1/accounts/${group.id}`, { parent_id: sub.id }), 422, 'validation_failed', 'parent_id');
	assertError(await srv.api(admin, 'PATCH', `/api/v1/accounts/${group.id}`, { parent_id: group.id }), 422, 'validation_failed', 'parent_id');
	assertError(await srv.api(admin, 'POST', '/api/v1/accounts', { name: 'orphan', parent_id: 999999 }), 422, 'validation_failed', 'parent_id');
	// the parent is referenced: 409 on delete, then fine once the child is gone
	assertError(await srv.api(admin, 'DELETE', `/api/v1/accounts/${group.id}`), 409, 'conflict');
	await del(`/api/v1/accounts/${sub.id}`);
	await del(`/api/v1/accounts/${group.id}`);
});

test('validation: required, derived, unknown and mistyped fields are 422 naming the field; nothing is saved', async () => {
	const before = (await get('/api/v1/accounts?limit=500')).data.length;
	const cases = [
		[{}, 'name'],
		[{ name: '   ' }, 'name'],
		[{ name: null }, 'name'],
		[{ name: 42 }, 'name'],
		[{ name: 'x'.repeat(201) }, 'name'],
		[{ name: 'ok', tier: 'gold' }, 'tier'],
		[{ name: 'ok', id: 7 }, 'id'],
		[{ name: 'ok', created_at: '2026-01-01T00:00:00Z' }, 'created_at'],
		[{ name: 'ok', version: 1 }, 'version'],
		[{ name: 'ok', colour: 'red' }, 'colour'],
		[{ name: 'ok', tags: 'vip' }, 'tags'],
		[{ name: 'ok', tags: ['vip', 'vip'] }, 'tags'],
		[{ name: 'ok', tags: [''] }, 'tags'],
		[{ name: 'ok', tags: [1] }, 'tags'],
		[{ name: 'ok', owner_id: 0 }, 'owner_id'],
		[{ name: 'ok', owner_id: '1' }, 'owner_id'],
		[{ name: 'ok', owner_id: 999 }, 'owner_id'],
		[{ name: 'ok', parent_id: 1.5 }, 'parent_id'],
		[{ name: 'ok', website: ['x'] }, 'website'],
	];
	for (const [body, field] of cases)
		assertError(await srv.api(admin, 'POST', '/api/v1/accounts', body), 422, 'validation_failed', field);
	assert.equal((await get('/api/v1/accounts?limit=500')).data.length, before, 'no failed create saved anything');

	const acc = await post('/api/v1/accounts', { name: '验证公司' });
	for (const [body, field] of [
		[{ name: null }, 'name'],
		[{ name: '' }, 'name'],
		[{ tier: 'gold' }, 'tier'],
		[{ version: '1' }, 'version'],
		[{ updated_at: '2026-01-01T00:00:00Z' }, 'updated_at'],
	])
		assertError(await srv.api(admin, 'PATCH', `/api/v1/accounts/${acc.id}`, body), 422, 'validation_failed', field);
	assert.equal((await get(`/api/v1/accounts/${acc.id}`)).version, 1, 'no failed PATCH changed anything');
	await del(`/api/v1/accounts/${acc.id}`);
});

test('contacts: phones get a computed e164, emails are checked, lists default to []', async () => {
	const acc = await post('/api/v1/accounts', { name: '上海东方贸易有限公司' });
	const c = await post('/api/v1/contacts', {
		name: '张伟',
		account_id: acc.id,
		title: '采购经理',
		birthday: '1985-03-12',
		phones: [
			{ kind: 'mobile', number: '138 0013 8000', e164: '+10000000000' },
			{ kind: 'work', number: '010-6552 9988', label: '总机' },
			{ number: '+1 (415) 555-0132' },
		],
		emails: [{ address: 'zhang.wei@dongfang.example.cn' }, { kind: 'home', address: 'zw1985@example.com' }],
		addresses: [{ kind: 'work', street: '浦东新区世纪大道100号', city: '上海', country: 'CN' }],
		tags: ['决策人'],
		consent: { email: true, sms: false },
	});
	assertCreated(c);
	assert.deepEqual(c.phones, [
		{ kind: 'mobile', number: '138 0013 8000', e164: '+8613800138000' },
		{ kind: 'work', number: '010-6552 9988', label: '总机', e164: '+861065529988' },
		{ kind: 'mobile', number: '+1 (415) 555-0132', e164: '+14155550132' },
	]);
	assert.deepEqual(c.emails, [
		{ kind: 'work', address: 'zhang.wei@dongfang.example.cn' },
		{ kind: 'home', address: 'zw1985@example.com' },
	]);
	assert.equal(c.tier, 'bronze');
	assert.deepEqual(c.consent, { email: true, sms: false });
	const bare = await post('/api/v1/contacts', { name: 'Jane Doe' });
	assert.deepEqual([bare.phones, bare.emails, bare.addresses, bare.tags, bare.consent], [[], [], [], [], {}]);
	assert.equal(bare.account_id, null);
	await del(`/api/v1/contacts/${bare.id}`);
	await del(`/api/v1/contacts/${c.id}`);
	await del(`/api/v1/accounts/${acc.id}`);
});

test('contacts: bad phones, emails, addresses, consent, unknown and derived fields are 422 naming the field', async () => {
	const before = (await get('/api/v1/contacts?limit=500')).data.length;
	const cases = [
		[{ phones: [{ number: 'not a number' }] }, 'phones[0].number'],
		[{ phones: [{ number: '138 0013 8000' }, { number: '12' }] }, 'phones[1].number'],
		[{ phones: [{ kind: 'mobile' }] }, 'phones[0].number'],
		[{ phones: [{ number: 13800138000 }] }, 'phones[0].number'],
		[{ phones: [{ number: '13800138000', kind: 'pager' }] }, 'phones[0].kind'],
		[{ phones: [{ number: '13800138000', extension: '12' }] }, 'phones[0].extension'],
		[{ phones: ['13800138000'] }, 'phones[0]'],
		[{ phones: '13800138000' }, 'phones'],
		[{ phones: Array.from({ length: 51 }, () => ({ number: '13800138000' })) }, 'phones'],
		[{ emails: [{ address: 'not-an-email' }] }, 'emails[0].address'],
		[{ emails: [{ address: 'a@b' }] }, 'emails[0].address'],
		[{ emails: [{ address: 'jane doe@example.com' }] }, 'emails[0].address'],
		[{ emails: [{ address: '@example.com' }] }, 'emails[0].address'],
		[{ emails: [{ address: 'a@@example.com' }] }, 'emails[0].address'],
		[{ emails: [{ address: 'ok@example.com' }, { address: 'x@example.com', kind: 'fax' }] }, 'emails[1].kind'],
		[{ emails: [{ kind: 'work' }] }, 'emails[0].address'],
		[{ addresses: [{ planet: 'Mars' }] }, 'addresses[0].planet'],
		[{ consent: { email: 'yes' } }, 'consent'],
		[{ consent: { fax: true } }, 'consent'],
		[{ consent: [] }, 'consent'],
		[{ nickname: '小张' }, 'nickname'],
		[{ tier: 'gold' }, 'tier'],
		[{ birthday: '1985-02-30' }, 'birthday'],
		[{ birthday: '12/03/1985' }, 'birthday'],
		[{ account_id: '1' }, 'account_id'],
		[{ account_id: 999999 }, 'account_id'],
		[{ title: 5 }, 'title'],
	];
	for (const [extra, field] of cases)
		assertError(await srv.api(admin, 'POST', '/api/v1/contacts', { name: '测试', ...extra }), 422, 'validation_failed', field);
	assertError(await srv.api(admin, 'POST', '/api/v1/contacts', { phones: [] }), 422, 'validation_failed', 'name');
	assert.equal((await get('/api/v1/contacts?limit=500')).data.length, before, 'nothing was saved');
	// a bad PATCH leaves the phone index alone
	const c = await post('/api/v1/contacts', { name: '王芳', phones: [{ number: '139 1234 5678' }] });
	assertError(await srv.api(admin, 'PATCH', `/api/v1/contacts/${c.id}`, { phones: [{ number: '139 1234 5678' }, { number: 'garbage' }] }), 422, 'validation_failed', 'phones[1].number');
	assert.deepEqual((await get(`/api/v1/contacts/${c.id}`)).phones, c.phones);
	assert.equal((await get('/api/v1/lookup/phone?number=13912345678')).matches.length, 1);
	await del(`/api/v1/contacts/${c.id}`);
});

test('contacts: replacing phones moves the caller-id index; deleting the contact empties it', async () => {
	const c = await post('/api/v1/contacts', { name: '刘洋', phones: [{ number: '137 0000 1111' }] });
	assert.equal((await get('/api/v1/lookup/phone?number=13700001111')).matches[0].contact.id, c.id);
	const changed = await patch(`/api/v1/contacts/${c.id}`, { phones: [{ number: '137 0000 2222', kind: 'work' }], version: 1 });
	assert.deepEqual(changed.phones, [{ number: '137 0000 2222', kind: 'work', e164: '+8613700002222' }]);
	assert.deepEqual((await get('/api/v1/lookup/phone?number=13700001111')).matches, []);
	assert.equal((await get('/api/v1/lookup/phone?number=13700002222')).matches[0].contact.id, c.id);
	await del(`/api/v1/contacts/${c.id}`);
	assert.deepEqual((await get('/api/v1/lookup/phone?number=13700002222')).matches, []);
});

test('interactions: need a contact or an account; defaults for account, user and time; enums checked', async () => {
	const acc = await post('/api/v1/accounts', { name: '广州明珠电子' });
	const c = await post('/api/v1/contacts', { name: '陈静', account_id: acc.id });
	const t0 = Date.now() - 2000;
	const i = await post('/api/v1/interactions', { contact_id: c.id, channel: 'phone', direction: 'inbound', duration_s: 240, subject: '询价', body: '客户询问 ERP 模块报价' });
	assertCreated(i);
	assert.equal(i.account_id, acc.id, 'account_id defaults from the contact');
	assert.equal(i.user_id, me, 'user_id defaults to the signed-in user');
	assert.ok(Date.parse(i.occurred_at) >= Math.floor(t0 / 1000) * 1000, 'occurred_at defaults to now');
	assert.equal(i.duration_s, 240);
	const onAccount = await post('/api/v1/interactions', { account_id: acc.id, channel: 'meeting', direction: 'outbound', occurred_at: '2026-03-01T09:00:00+08:00' });
	assert.equal(onAccount.contact_id, null);
	assert.equal(onAccount.occurred_at, '2026-03-01T01:00:00Z', 'times are stored and shown in UTC');

	for (const [body, field] of [
		[{ channel: 'phone', direction: 'inbound' }, 'contact_id'],
		[{ contact_id: c.id, direction: 'inbound' }, 'channel'],
		[{ contact_id: c.id, channel: 'pigeon', direction: 'inbound' }, 'channel'],
		[{ contact_id: c.id, channel: 'phone', direction: 'sideways' }, 'direction'],
		[{ contact_id: c.id, channel: 'phone' }, 'direction'],
		[{ contact_id: c.id, channel: 'phone', direction: 'inbound', duration_s: -1 }, 'duration_s'],
		[{ contact_id: c.id, channel: 'phone', direction: 'inbound', duration_s: 1.5 }, 'duration_s'],
		[{ contact_id: c.id, channel: 'phone', direction: 'inbound', occurred_at: '2026-13-01T00:00:00Z' }, 'occurred_at'],
		[{ contact_id: c.id, channel: 'phone', direction: 'inbound', occurred_at: '2026-01-01 10:00' }, 'occurred_at'],
		[{ contact_id: 999999, channel: 'phone', direction: 'inbound' }, 'contact_id'],
		[{ contact_id: c.id, channel: 'phone', direction: 'inbound', user_id: 999 }, 'user_id'],
	])
		assertError(await srv.api(admin, 'POST', '/api/v1/interactions', body), 422, 'validation_failed', field);

	const upd = await patch(`/api/v1/interactions/${i.id}`, { outcome: '发送报价', version: 1 });
	assert.equal(upd.outcome, '发送报价');
	assert.equal(upd.version, 2);
	assertError(await srv.api(admin, 'PATCH', `/api/v1/interactions/${i.id}`, { outcome: 'x', version: 1 }), 409, 'conflict', 'version');
	// a contact with interactions cannot be deleted
	assertError(await srv.api(admin, 'DELETE', `/api/v1/contacts/${c.id}`), 409, 'conflict');
	assert.equal((await get(`/api/v1/contacts/${c.id}`)).id, c.id);
	await del(`/api/v1/interactions/${i.id}`);
	await del(`/api/v1/interactions/${onAccount.id}`);
	assertError(await srv.api(admin, 'GET', `/api/v1/interactions/${i.id}`), 404, 'not_found');
	await del(`/api/v1/contacts/${c.id}`);
	await del(`/api/v1/accounts/${acc.id}`);
});

test('orders: amount is a decimal string; lines compute it; defaults for currency, source and status', async () => {
	const acc = await post('/api/v1/accounts', { name: '深圳新世纪' });
	const c = await post('/api/v1/contacts', { name: '黄磊', account_id: acc.id });
	const o = await post('/api/v1/orders', {
		contact_id: c.id,
		ordered_at: '2026-11-21T10:00:00+08:00',
		cost: '800.00',
		lines: [
			{ sku: 'ERP-STD', name: 'ERP 标准版', qty: 2, unit_price: '599.50' },
			{ sku: 'SVC-1Y', name: '一年服务', qty: 1, unit_price: '0.5' },
		],
	});
	assertCreated(o);
	assert.equal(o.amount, '1199.50');
	assert.equal(o.cost, '800.00');
	assert.equal(o.account_id, acc.id, 'account_id defaults from the contact');
	assert.equal(o.currency, 'CNY');
	assert.equal(o.source, 'api');
	assert.equal(o.status, 'completed');
	assert.equal(o.external_ref, null);
	assert.equal(o.ordered_at, '2026-11-21T02:00:00Z');
	// an explicit amount wins over the lines
	const explicit = await post('/api/v1/orders', { account_id: acc.id, ordered_at: '2026-11-21T02:00:00Z', amount: '1000', lines: [{ qty: 1, unit_price: '5.00' }] });
	assert.equal(explicit.amount, '1000.00');
	assert.equal(explicit.contact_id, null);

	const base = { account_id: acc.id, ordered_at: '2026-11-21T02:00:00Z', amount: '10.00' };
	for (const [body, field] of [
		[{ ...base, amount: 12.5 }, 'amount'],
		[{ ...base, amount: 12 }, 'amount'],
		[{ ...base, amount: '12.345' }, 'amount'],
		[{ ...base, amount: '1,299.00' }, 'amount'],
		[{ ...base, amount: '¥12' }, 'amount'],
		[{ ...base, amount: '' }, 'amount'],
		[{ ...base, amount: undefined }, 'amount'],
		[{ ...base, cost: 3.5 }, 'cost'],
		[{ ...base, currency: 'yuan' }, 'currency'],
		[{ ...base, currency: 'cny' }, 'currency'],
		[{ ...base, status: 'shipped' }, 'status'],
		[{ ...base, ordered_at: undefined }, 'ordered_at'],
		[{ ...base, ordered_at: '2026-11-21' }, 'ordered_at'],
		[{ ordered_at: base.ordered_at, amount: '1.00' }, 'account_id'],
		[{ ...base, account_id: 999999 }, 'account_id'],
		[{ ...base, lines: {} }, 'lines'],
		[{ ...base, lines: [{ qty: 0, unit_price: '1.00' }] }, 'lines[0].qty'],
		[{ ...base, lines: [{ qty: 1, unit_price: '1.00' }, { qty: 1.5, unit_price: '1.00' }] }, 'lines[1].qty'],
		[{ ...base, lines: [{ qty: 1, unit_price: 1 }] }, 'lines[0].unit_price'],
		[{ ...base, lines: [{ qty: 1, unit_price: '1.00', colour: 'red' }] }, 'lines[0].colour'],
		[{ ...base, lines: ['x'] }, 'lines[0]'],
		[{ ...base, tier: 'gold' }, 'tier'],
	]) {
		assertError(await srv.api(admin, 'POST', '/api/v1/orders', body), 422, 'validation_failed', field);
	}
	assert.equal((await get(`/api/v1/orders?account_id=${acc.id}`)).data.length, 2, 'no bad order was saved');
});

test('orders: re-sending the same (source, external_ref) updates the order: 200, same id', async () => {
	const acc = await post('/api/v1/accounts', { name: '杭州云峰' });
	const first = await srv.api(admin, 'POST', '/api/v1/orders', { account_id: acc.id, ordered_at: '2026-10-01T00:00:00Z', amount: '5000.00', source: 'erp', external_ref: 'SO-2026-0001', status: 'open' });
	assert.equal(first.status, 201, first.text);
	const again = await srv.api(admin, 'POST', '/api/v1/orders', { account_id: acc.id, ordered_at: '2026-10-01T00:00:00Z', amount: '5200.00', source: 'erp', external_ref: 'SO-2026-0001', status: 'completed' });
	assert.equal(again.status, 200, again.text);
	assert.equal(again.body.id, first.body.id);
	assert.equal(again.body.amount, '5200.00');
	assert.equal(again.body.status, 'completed');
	assert.equal(again.body.version, 2);
	// same again: nothing changes, still 200
	const same = await srv.api(admin, 'POST', '/api/v1/orders', { account_id: acc.id, ordered_at: '2026-10-01T00:00:00Z', amount: '5200.00', source: 'erp', external_ref: 'SO-2026-0001', status: 'completed' });
	assert.equal(same.status, 200);
	assert.equal(same.body.version, 2);
	// the same reference from another source is another order; no reference: always new
	const other = await srv.api(admin, 'POST', '/api/v1/orders', { account_id: acc.id, ordered_at: '2026-10-01T00:00:00Z', amount: '1.00', source: 'shop', external_ref: 'SO-2026-0001' });
	assert.equal(other.status, 201);
	assert.notEqual(other.body.id, first.body.id);
	const viaDefault = await srv.api(admin, 'POST', '/api/v1/orders', { account_id: acc.id, ordered_at: '2026-10-01T00:00:00Z', amount: '2.00', external_ref: 'API-7' });
	assert.equal(viaDefault.status, 201);
	const viaDefaultAgain = await srv.api(admin, 'POST', '/api/v1/orders', { account_id: acc.id, ordered_at: '2026-10-01T00:00:00Z', amount: '3.00', source: 'api', external_ref: 'API-7' });
	assert.equal(viaDefaultAgain.status, 200, 'source defaults to "api" when matching');
	assert.equal(viaDefaultAgain.body.id, viaDefault.body.id);
	for (let i = 0; i < 2; i++) assert.equal((await srv.api(admin, 'POST', '/api/v1/orders', { account_id: acc.id, ordered_at: '2026-10-01T00:00:00Z', amount: '1.00' })).status, 201);
	const list = await get(`/api/v1/orders?account_id=${acc.id}&limit=500`);
	assert.equal(list.data.length, 5);
	assert.equal((await get('/api/v1/orders?source=erp&external_ref=SO-2026-0001')).data.length, 1);
	// a bad re-send changes nothing
	assertError(await srv.api(admin, 'POST', '/api/v1/orders', { account_id: acc.id, ordered_at: '2026-10-01T00:00:00Z', amount: 9, source: 'erp', external_ref: 'SO-2026-0001' }), 422, 'validation_failed', 'amount');
	assert.equal((await get(`/api/v1/orders/${first.body.id}`)).amount, '5200.00');
	// PATCH cannot move an order onto another's reference
	assertError(await srv.api(admin, 'PATCH', `/api/v1/orders/${other.body.id}`, { source: 'erp' }), 409, 'conflict');
});

test('orders: an ERP re-send that carries lines but no amount recomputes the amount from the new lines', async () => {
	const acc = await post('/api/v1/accounts', { name: '苏州工业园' });
	const order = { account_id: acc.id, ordered_at: '2026-10-02T00:00:00Z', source: 'erp', external_ref: 'SO-LINES-1' };
	const first = await srv.api(admin, 'POST', '/api/v1/orders', { ...order, lines: [{ sku: 'P-1', qty: 1, unit_price: '10.00' }] });
	assert.equal(first.status, 201);
	assert.equal(first.body.amount, '10.00');
	const again = await srv.api(admin, 'POST', '/api/v1/orders', { ...order, lines: [{ sku: 'P-1', qty: 2, unit_price: '10.00' }, { sku: 'P-2', qty: 1, unit_price: '5.00' }] });
	assert.equal(again.status, 200);
	assert.equal(again.body.id, first.body.id);
	assert.equal(again.body.lines.length, 2);
	assert.equal(again.body.amount, '25.00', 'the amount follows the re-sent lines');
});

test('orders/bulk: all or nothing, naming the bad order; created/updated counts and ids', async () => {
	const acc = await post('/api/v1/accounts', { name: '成都天府商贸' });
	const before = (await get(`/api/v1/orders?account_id=${acc.id}`)).data.length;
	const bad = await srv.api(admin, 'POST', '/api/v1/orders/bulk', {
		orders: [
			{ account_id: acc.id, ordered_at: '2026-01-05T00:00:00Z', amount: '100.00', source: 'erp', external_ref: 'BULK-1' },
			{ account_id: acc.id, ordered_at: '2026-01-05T00:00:00Z', amount: 12.5, source: 'erp', external_ref: 'BULK-2' },
			{ account_id: acc.id, ordered_at: '2026-01-05T00:00:00Z', amount: '300.00', source: 'erp', external_ref: 'BULK-3' },
		],
	});
	assertError(bad, 422, 'validation_failed', 'orders[1].amount');
	assert.equal((await get(`/api/v1/orders?account_id=${acc.id}`)).data.length, before, 'none of the batch was saved');
	assert.equal((await get('/api/v1/orders?source=erp&external_ref=BULK-1')).data.length, 0);
	assert.equal((await get(`/api/v1/accounts/${acc.id}/360`)).figures.order_count, 0);
	const audit = await get(`/api/v1/audit?entity=account&id=${acc.id}`);
	assert.equal(audit.data.length, 1, 'only the account create is audited');

	const badLine = await srv.api(admin, 'POST', '/api/v1/orders/bulk', { orders: [{ account_id: acc.id, ordered_at: '2026-01-05T00:00:00Z', lines: [{ qty: 1, unit_price: 'x' }] }] });
	assertError(badLine, 422, 'validation_failed', 'orders[0].lines[0].unit_price');

	const ok = await srv.api(admin, 'POST', '/api/v1/orders/bulk', {
		orders: [
			{ account_id: acc.id, ordered_at: '2026-01-05T00:00:00Z', amount: '100.00', source: 'erp', external_ref: 'BULK-1' },
			{ account_id: acc.id, ordered_at: '2026-01-06T00:00:00Z', amount: '200.00', source: 'erp', external_ref: 'BULK-2' },
		],
	});
	assert.equal(ok.status, 200, ok.text);
	assert.equal(ok.body.created, 2);
	assert.equal(ok.body.updated, 0);
	assert.equal(ok.body.ids.length, 2);
	const again = await srv.api(admin, 'POST', '/api/v1/orders/bulk', {
		orders: [
			{ account_id: acc.id, ordered_at: '2026-01-06T00:00:00Z', amount: '250.00', source: 'erp', external_ref: 'BULK-2' },
			{ account_id: acc.id, ordered_at: '2026-01-07T00:00:00Z', amount: '300.00', source: 'erp', external_ref: 'BULK-3' },
		],
	});
	assert.equal(again.status, 200, again.text);
	assert.deepEqual([again.body.created, again.body.updated], [1, 1]);
	assert.equal(again.body.ids[0], ok.body.ids[1]);
	assert.equal((await get(`/api/v1/orders/${ok.body.ids[1]}`)).amount, '250.00');
	assert.equal((await get(`/api/v1/accounts/${acc.id}/360`)).figures.lifetime_revenue, '650.00');

	// the shape of the body
	for (const body of [[], { orders: {} }, { orders: [], extra: 1 }, { order: [] }])
		assertError(await srv.api(admin, 'POST', '/api/v1/orders/bulk', body), 400, 'bad_request');
	assertError(await srv.api(admin, 'POST', '/api/v1/orders/bulk', { orders: [1] }), 400, 'bad_request', 'orders[0]');
	const tooMany = await srv.api(admin, 'POST', '/api/v1/orders/bulk', { orders: Array.from({ length: 10001 }, () => ({})) });
	assertError(tooMany, 413, 'payload_too_large');
	const empty = await srv.api(admin, 'POST', '/api/v1/orders/bulk', { orders: [] });
	assert.equal(empty.status, 200);
	assert.deepEqual(empty.body, { created: 0, updated: 0, ids: [] });
});

test('tiers: silver from 100,000.00 and gold from 1,000,000.00 of completed orders; back down on cancel and delete', async () => {
	const acc = await post('/api/v1/accounts', { name: '重庆长江实业' });
	const c = await post('/api/v1/contacts', { name: '周杰', account_id: acc.id });
	const tiers = async () => [(await get(`/api/v1/accounts/${acc.id}`)).tier, (await get(`/api/v1/contacts/${c.id}`)).tier];
	const order = (amount, extra = {}) => post('/api/v1/orders', { contact_id: c.id, ordered_at: '2026-06-01T00:00:00Z', amount, ...extra });

	const a = await order('99999.99');
	assert.deepEqual(await tiers(), ['bronze', 'bronze']);
	const b = await order('0.01');
	assert.deepEqual(await tiers(), ['silver', 'silver'], 'exactly 100,000.00 is silver');
	// open orders, other currencies do not count
	const open = await order('900000.00', { status: 'open' });
	const usd = await order('900000.00', { currency: 'USD' });
	assert.deepEqual(await tiers(), ['silver', 'silver']);
	await patch(`/api/v1/orders/${open.id}`, { status: 'completed' });
	assert.deepEqual(await tiers(), ['gold', 'gold'], 'exactly 1,000,000.00 is gold');
	assert.ok((await get('/api/v1/accounts?tier=gold')).data.some((x) => x.id === acc.id));
	assert.ok((await get('/api/v1/contacts?tier=gold')).data.some((x) => x.id === c.id));
	assert.equal((await get(`/api/v1/contacts/${c.id}/360`)).figures.lifetime_revenue, '1000000.00');

	await patch(`/api/v1/orders/${a.id}`, { status: 'cancelled' });
	assert.deepEqual(await tiers(), ['silver', 'silver'], 'a cancelled order drops the tier');
	await patch(`/api/v1/orders/${a.id}`, { status: 'completed' });
	assert.deepEqual(await tiers(), ['gold', 'gold']);
	await patch(`/api/v1/orders/${open.id}`, { status: 'returned' });
	assert.deepEqual(await tiers(), ['silver', 'silver'], 'a returned order drops the tier');
	await del(`/api/v1/orders/${b.id}`);
	assert.deepEqual(await tiers(), ['bronze', 'bronze'], 'a deleted order drops the tier');
	// moving an order to another contact recomputes both
	const c2 = await post('/api/v1/contacts', { name: '吴昊', account_id: acc.id });
	const big = await order('2000000.00');
	assert.deepEqual(await tiers(), ['gold', 'gold']);
	await patch(`/api/v1/orders/${big.id}`, { contact_id: c2.id });
	assert.deepEqual(await tiers(), ['gold', 'bronze']);
	assert.equal((await get(`/api/v1/contacts/${c2.id}`)).tier, 'gold');
	assert.equal(usd.currency, 'USD');
});

test('contact 360: figures follow the records through creates, updates and deletes', async () => {
	const acc = await post('/api/v1/accounts', { name: '武汉光谷科技' });
	const c = await post('/api/v1/contacts', { name: '孙丽', account_id: acc.id, phones: [{ number: '186 2000 3000' }] });
	let v = await get(`/api/v1/contacts/${c.id}/360`);
	assert.deepEqual(v.figures, {
		interaction_count: 0,
		first_contact_at: null,
		last_contact_at: null,
		order_count: 0,
		lifetime_revenue: '0.00',
		lifetime_margin: '0.00',
		currency: 'CNY',
		last_order_at: null,
		days_since_last_order: null,
	});
	assert.deepEqual([v.interactions, v.orders], [[], []]);
	assert.equal(v.contact.id, c.id);
	assert.equal(v.account.id, acc.id);

	const i1 = await post('/api/v1/interactions', { contact_id: c.id, channel: 'email', direction: 'outbound', occurred_at: '2026-01-10T08:00:00Z', subject: '报价单' });
	const i2 = await post('/api/v1/interactions', { contact_id: c.id, channel: 'phone', direction: 'inbound', occurred_at: '2026-03-05T02:30:00Z', subject: '回访' });
	const i3 = await post('/api/v1/interactions', { contact_id: c.id, channel: 'visit', direction: 'outbound', occurred_at: '2026-02-01T06:00:00Z', subject: '拜访' });
	await post('/api/v1/orders', { contact_id: c.id, ordered_at: daysAgo(40), amount: '1000.00', cost: '600.00' });
	const o2 = await post('/api/v1/orders', { contact_id: c.id, ordered_at: daysAgo(10), amount: '500.50' });
	await post('/api/v1/orders', { contact_id: c.id, ordered_at: daysAgo(50), amount: '300.00', cost: '100.00', status: 'cancelled' });

	v = await get(`/api/v1/contacts/${c.id}/360`);
	assert.equal(v.figures.interaction_count, 3);
	assert.equal(v.figures.first_contact_at, '2026-01-10T08:00:00Z');
	assert.equal(v.figures.last_contact_at, '2026-03-05T02:30:00Z');
	assert.equal(v.figures.order_count, (await get(`/api/v1/orders?contact_id=${c.id}`)).data.length, 'order_count counts the orders listed');
	assert.equal(v.figures.order_count, 3);
	assert.equal(v.figures.lifetime_revenue, '1500.50', 'completed orders only');
	assert.equal(v.figures.lifetime_margin, '400.00', 'completed orders with a cost only');
	assert.equal(v.figures.last_order_at, o2.ordered_at);
	assert.equal(v.figures.days_since_last_order, 10);
	assert.deepEqual(v.interactions.map((x) => x.id), [i2.id, i3.id, i1.id], 'interactions latest first');
	assert.equal(v.orders.length, 3);
	assert.equal(v.orders[0].id, o2.id);
	assert.ok(v.orders[0].ordered_at > v.orders[1].ordered_at && v.orders[1].ordered_at > v.orders[2].ordered_at, 'orders latest first');

	await patch(`/api/v1/interactions/${i1.id}`, { occurred_at: '2026-04-01T00:00:00Z' });
	await del(`/api/v1/interactions/${i2.id}`);
	await patch(`/api/v1/orders/${o2.id}`, { cost: '0.50' });
	v = await get(`/api/v1/contacts/${c.id}/360`);
	assert.equal(v.figures.interaction_count, 2);
	assert.equal(v.figures.first_contact_at, '2026-02-01T06:00:00Z');
	assert.equal(v.figures.last_contact_at, '2026-04-01T00:00:00Z');
	assert.equal(v.figures.lifetime_margin, '900.00');
	assert.deepEqual(v.interactions.map((x) => x.id), [i1.id, i3.id]);
	// the lookup summary carries the same figures
	const look = await get('/api/v1/lookup/phone?number=18620003000');
	assert.deepEqual(look.matches[0].summary, v.figures);
	assert.equal(look.matches[0].account.id, acc.id);
	assertError(await srv.api(admin, 'GET', '/api/v1/contacts/999999/360'), 404, 'not_found');
});

test('account 360: people (by name) and people_count, figures over the account, parent', async () => {
	const parent = await post('/api/v1/accounts', { name: '南京金陵集团' });
	const acc = await post('/api/v1/accounts', { name: '南京金陵软件', parent_id: parent.id });
	const names = ['王强', 'Alice Wang', '赵敏'];
	for (const name of names) await post('/api/v1/contacts', { name, account_id: acc.id });
	const other = await post('/api/v1/contacts', { name: '不相关' });
	await post('/api/v1/interactions', { account_id: acc.id, channel: 'meeting', direction: 'outbound', occurred_at: '2026-05-01T01:00:00Z' });
	await post('/api/v1/orders', { account_id: acc.id, ordered_at: '2026-05-02T00:00:00Z', amount: '88.80', cost: '8.80' });
	await post('/api/v1/orders', { contact_id: other.id, ordered_at: '2026-05-02T00:00:00Z', amount: '1.00' });
	const v = await get(`/api/v1/accounts/${acc.id}/360`);
	assert.equal(v.account.id, acc.id);
	assert.equal(v.parent.id, parent.id);
	assert.equal(v.people_count, 3);
	assert.deepEqual(v.people.map((p) => p.name), [...names].sort());
	assert.equal(v.figures.interaction_count, 1);
	assert.equal(v.figures.order_count, 1);
	assert.equal(v.figures.lifetime_revenue, '88.80');
	assert.equal(v.figures.lifetime_margin, '80.00');
	assert.equal(v.interactions.length, 1);
	assert.equal(v.orders.length, 1);
	assertError(await srv.api(admin, 'GET', '/api/v1/accounts/999999/360'), 404, 'not_found');
	// an account with people cannot be deleted
	assertError(await srv.api(admin, 'DELETE', `/api/v1/accounts/${acc.id}`), 409, 'conflict');
});

test('audit: create, update and delete of a contact with old and new values and the user', async () => {
	const u = await srv.user(admin, { username: 'auditor.zhou', role: 'manager', display_name: '周经理' });
	const c = await post('/api/v1/contacts', { name: 'Jane Doe', title: 'CTO', tags: ['tech'] });
	await patch(`/api/v1/contacts/${c.id}`, { title: 'CEO', version: 1 }, u.token);
	await del(`/api/v1/contacts/${c.id}`);
	const audit = await get(`/api/v1/audit?entity=contact&id=${c.id}`);
	assert.deepEqual(audit.data.map((a) => a.action), ['create', 'update', 'delete']);
	const [created, updated, deleted] = audit.data;
	for (const a of audit.data) {
		assert.equal(typeof a.id, 'number');
		assert.match(a.at, RFC3339);
	}
	assert.deepEqual(created.user, { id: me, username: 'admin' });
	assert.deepEqual(created.changes.name, { old: null, new: 'Jane Doe' });
	assert.deepEqual(created.changes.title, { old: null, new: 'CTO' });
	assert.deepEqual(created.changes.tags, { old: null, new: ['tech'] });
	assert.deepEqual(updated.user, { id: u.id, username: 'auditor.zhou' });
	assert.deepEqual(updated.changes, { title: { old: 'CTO', new: 'CEO' } }, 'an update lists only what changed');
	assert.deepEqual(deleted.user, { id: me, username: 'admin' });
	assert.deepEqual(deleted.changes.name, { old: 'Jane Doe', new: null });
	assert.deepEqual(deleted.changes.title, { old: 'CEO', new: null });

	// other kinds are audited too
	const acc = await post('/api/v1/accounts', { name: 'Audit Ltd' });
	const o = await post('/api/v1/orders', { account_id: acc.id, ordered_at: '2026-01-01T00:00:00Z', amount: '10.00' });
	await patch(`/api/v1/orders/${o.id}`, { amount: '11.00' });
	const oa = await get(`/api/v1/audit?entity=order&id=${o.id}`);
	assert.deepEqual(oa.data.map((a) => a.action), ['create', 'update']);
	assert.deepEqual(oa.data[1].changes, { amount: { old: '10.00', new: '11.00' } });
	// a failed write leaves no audit row
	assertError(await srv.api(admin, 'PATCH', `/api/v1/orders/${o.id}`, { amount: '1.001' }), 422, 'validation_failed', 'amount');
	assert.equal((await get(`/api/v1/audit?entity=order&id=${o.id}`)).data.length, 2);

	// parameters
	assertError(await srv.api(admin, 'GET', '/api/v1/audit?id=1'), 400, 'bad_request', 'entity');
	assertError(await srv.api(admin, 'GET', '/api/v1/audit?entity=user&id=1'), 400, 'bad_request', 'entity');
	assertError(await srv.api(admin, 'GET', '/api/v1/audit?entity=contact'), 400, 'bad_request', 'id');
	assertError(await srv.api(admin, 'GET', '/api/v1/audit?entity=contact&id=abc'), 400, 'bad_request', 'id');
	assertError(await srv.api(admin, 'GET', '/api/v1/audit?entity=contact&id=0'), 400, 'bad_request', 'id');
	assert.deepEqual((await get('/api/v1/audit?entity=contact&id=999999')).data, []);
});

test('concurrency: of simultaneous PATCHes with the same version exactly one wins; simultaneous ERP re-sends make one order', async () => {
	const c = await post('/api/v1/contacts', { name: '并发测试' });
	const rs = await Promise.all(Array.from({ length: 6 }, (_, i) => srv.api(admin, 'PATCH', `/api/v1/contacts/${c.id}`, { title: `t${i}`, version: 1 })));
	assert.deepEqual(rs.map((r) => r.status).sort(), [200, 409, 409, 409, 409, 409]);
	const winner = rs.find((r) => r.status === 200).body;
	const now = await get(`/api/v1/contacts/${c.id}`);
	assert.equal(now.version, 2);
	assert.equal(now.title, winner.title);
	const updates = (await get(`/api/v1/audit?entity=contact&id=${c.id}`)).data.filter((a) => a.action === 'update' && /^t\d$/.test(a.changes.title?.new));
	assert.equal(updates.length, 1, 'one update is audited');

	const acc = await post('/api/v1/accounts', { name: '并发订单' });
	const os = await Promise.all(Array.from({ length: 6 }, (_, i) => srv.api(admin, 'POST', '/api/v1/orders', { account_id: acc.id, ordered_at: '2026-01-01T00:00:00Z', amount: `${i + 1}.00`, source: 'erp', external_ref: 'RACE-1' })));
	assert.deepEqual(os.map((r) => r.status).sort(), [200, 200, 200, 200, 200, 201]);
	assert.equal(new Set(os.map((r) => r.body.id)).size, 1, 'one order');
	assert.equal((await get(`/api/v1/orders?account_id=${acc.id}`)).data.length, 1);
});

test('the server stops cleanly on SIGTERM (exit 0, no sanitizer report)', async () => {
	await srv.stopAndCheck();
});
