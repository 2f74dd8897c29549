// access.test.mjs — roles and visibility: a sales user sees and changes only their own team's
// customers (everything else reads as 404 everywhere), managers see all, finance books orders only,
// service and marketing do not book orders.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { assertError, assertStatus, startServer } from './lib/server.mjs';

let srv;
let admin;
const u = {}; // users: {id, token}
const north = {}; // records of the north team (created by north1)
const mate = {}; // records of north2, north1's teammate
const south = {}; // records of the south team (created by south1)

async function create(token, kind, body) {
	return assertStatus(await srv.api(token, 'POST', `/api/v1/${kind}`, body), 201);
}

before(async () => {
	srv = await startServer();
	admin = await srv.loginAdmin();
	u.north1 = await srv.user(admin, { username: 'north1', role: 'sales', team: 'north', display_name: '北区 李雷' });
	u.north2 = await srv.user(admin, { username: 'north2', role: 'sales', team: 'north' });
	u.south1 = await srv.user(admin, { username: 'south1', role: 'sales', team: 'south', display_name: '南区 韩梅梅' });
	u.manager = await srv.user(admin, { username: 'boss', role: 'manager', team: 'north' });
	u.finance = await srv.user(admin, { username: 'cash', role: 'finance' });
	u.service = await srv.user(admin, { username: 'helpdesk', role: 'service' });
	u.marketing = await srv.user(admin, { username: 'promo', role: 'marketing' });

	for (const [who, bag, tag] of [
		[u.north1, north, '北'],
		[u.north2, mate, '伙伴'],
		[u.south1, south, '南'],
	]) {
		const n = bag === north ? 1 : bag === mate ? 2 : 3;
		bag.account = await create(who.token, 'accounts', { name: `${tag}方公司 ${who === u.south1 ? 'Southwind' : 'Northwind'} ${n}`, tags: [`team-${n}`] });
		bag.contact = await create(who.token, 'contacts', {
			name: `${tag}客户 王磊${n}`,
			account_id: bag.account.id,
			phones: [{ number: `1390000000${n}` }],
			emails: [{ address: `wang.lei${n}@example.cn` }],
			tags: [`team-${n}`],
		});
		bag.interaction = await create(who.token, 'interactions', { contact_id: bag.contact.id, channel: 'phone', direction: 'inbound', subject: `${tag} call` });
		bag.order = await create(who.token, 'orders', { contact_id: bag.contact.id, ordered_at: '2026-02-01T00:00:00Z', amount: '100.00', source: 'erp', external_ref: `ERP-${n}` });
	}
});
after(() => srv?.cleanup());

const KINDS = ['account', 'contact', 'interaction', 'order'];
const plural = (k) => `${k}s`;

async function listIds(token, kind, query = '') {
	const r = await srv.api(token, 'GET', `/api/v1/${plural(kind)}?limit=500${query}`);
	assert.equal(r.status, 200, r.text);
	return r.body.data.map((x) => x.id);
}

test('sales: another team\'s records are in no list, no search, no lookup', async () => {
	const t = u.north1.token;
	for (const k of KINDS) {
		const seen = await listIds(t, k);
		assert.ok(seen.includes(north[k].id), `north1 sees their own ${k}`);
		assert.ok(seen.includes(mate[k].id), `north1 sees their teammate's ${k}`);
		assert.ok(!seen.includes(south[k].id), `north1 does not see the south ${k}`);
	}
	assert.deepEqual(await listIds(t, 'contact', `&owner_id=${u.south1.id}`), []);
	assert.deepEqual(await listIds(t, 'interaction', `&contact_id=${south.contact.id}`), []);
	assert.deepEqual(await listIds(t, 'order', `&account_id=${south.account.id}`), []);
	assert.deepEqual(await listIds(t, 'contact', '&tag=team-3'), []);

	for (const q of ['王磊3', 'wanglei3', '南客户', 'Southwind', 'wang.lei3@', '13900000003', 'team-3']) {
		const hits = assertStatus(await srv.api(t, 'GET', `/api/v1/search?q=${encodeURIComponent(q)}`), 200).data;
		assert.deepEqual(hits, [], `search ${q} finds nothing of the south team`);
		assert.deepEqual(assertStatus(await srv.api(t, 'GET', `/api/v1/contacts?q=${encodeURIComponent(q)}`), 200).data, [], `contacts?q=${q}`);
		assert.deepEqual(assertStatus(await srv.api(t, 'GET', `/api/v1/accounts?q=${encodeURIComponent(q)}`), 200).data, [], `accounts?q=${q}`);
	}
	const own = assertStatus(await srv.api(t, 'GET', '/api/v1/search?q=wanglei'), 200).data;
	assert.deepEqual(own.map((h) => h.id).sort(), [north.contact.id, mate.contact.id].sort());

	const look = assertStatus(await srv.api(t, 'GET', '/api/v1/lookup/phone?number=13900000003'), 200);
	assert.deepEqual(look.matches, []);
	const mine = assertStatus(await srv.api(t, 'GET', '/api/v1/lookup/phone?number=%2B86%20139%200000%200002'), 200);
	assert.deepEqual(mine.matches.map((m) => m.contact.id), [mate.contact.id], "a teammate's caller is found");
});

test('sales: another team\'s records read as 404 by id, in 360 views and in audit', async () => {
	const t = u.north1.token;
	for (const k of KINDS) {
		assertError(await srv.api(t, 'GET', `/api/v1/${plural(k)}/${south[k].id}`), 404, 'not_found');
		assertError(await srv.api(t, 'GET', `/api/v1/audit?entity=${k}&id=${south[k].id}`), 404, 'not_found');
		assert.equal((await srv.api(t, 'GET', `/api/v1/${plural(k)}/${mate[k].id}`)).status, 200, `teammate's ${k}`);
		assert.equal((await srv.api(t, 'GET', `/api/v1/audit?entity=${k}&id=${mate[k].id}`)).status, 200);
	}
	assertError(await srv.api(t, 'GET', `/api/v1/contacts/${south.contact.id}/360`), 404, 'not_found');
	assertError(await srv.api(t, 'GET', `/api/v1/accounts/${south.account.id}/360`), 404, 'not_found');
	// the 404 is the same as for an id that does not exist
	const missing = await srv.api(t, 'GET', '/api/v1/contacts/999999');
	const hidden = await srv.api(t, 'GET', `/api/v1/contacts/${south.contact.id}`);
	assert.equal(hidden.body.error.message.replace(/\d+/g, 'N'), missing.body.error.message.replace(/\d+/g, 'N'));

	const v = assertStatus(await srv.api(t, 'GET', `/api/v1/contacts/${mate.contact.id}/360`), 200);
	assert.equal(v.account.id, mate.account.id);
	assert.equal(v.figures.order_count, 1);
	const av = assertStatus(await srv.api(t, 'GET', `/api/v1/accounts/${north.account.id}/360`), 200);
	assert.deepEqual(av.people.map((p) => p.id), [north.contact.id]);
});

test('sales: cannot PATCH or DELETE another team\'s records (404), and they stay unchanged', async () => {
	const t = u.north1.token;
	const bodies = { account: { notes: 'hacked' }, contact: { title: 'hacked' }, interaction: { outcome: 'hacked' }, order: { status: 'cancelled' } };
	for (const k of KINDS) {
		assertError(await srv.api(t, 'PATCH', `/api/v1/${plural(k)}/${south[k].id}`, bodies[k]), 404, 'not_found');
		assertError(await srv.api(t, 'DELETE', `/api/v1/${plural(k)}/${south[k].id}`), 404, 'not_found');
		const r = assertStatus(await srv.api(admin, 'GET', `/api/v1/${plural(k)}/${south[k].id}`), 200);
		assert.equal(r.version, 1, `the south ${k} is unchanged`);
	}
	// re-sending another team's ERP order is refused without changing it
	const resend = await srv.api(t, 'POST', '/api/v1/orders', { contact_id: north.contact.id, ordered_at: '2026-02-01T00:00:00Z', amount: '1.00', source: 'erp', external_ref: 'ERP-3' });
	assertError(resend, 409, 'conflict', 'external_ref');
	assert.equal(assertStatus(await srv.api(admin, 'GET', `/api/v1/orders/${south.order.id}`), 200).amount, '100.00');
	// a teammate's record can be changed
	const changed = assertStatus(await srv.api(t, 'PATCH', `/api/v1/contacts/${mate.contact.id}`, { title: '经理', version: 1 }), 200);
	assert.equal(changed.title, '经理');
});

test('sales: cannot link to another team\'s records (422) nor hand records outside the team', async () => {
	const t = u.north1.token;
	assertError(await srv.api(t, 'POST', '/api/v1/contacts', { name: 'x', account_id: south.account.id }), 422, 'validation_failed', 'account_id');
	assertError(await srv.api(t, 'POST', '/api/v1/accounts', { name: 'x', parent_id: south.account.id }), 422, 'validation_failed', 'parent_id');
	assertError(await srv.api(t, 'POST', '/api/v1/interactions', { contact_id: south.contact.id, channel: 'sms', direction: 'outbound' }), 422, 'validation_failed', 'contact_id');
	assertError(await srv.api(t, 'POST', '/api/v1/interactions', { account_id: south.account.id, channel: 'sms', direction: 'outbound' }), 422, 'validation_failed', 'account_id');
	assertError(await srv.api(t, 'POST', '/api/v1/orders', { account_id: south.account.id, ordered_at: '2026-02-01T00:00:00Z', amount: '1.00' }), 422, 'validation_failed', 'account_id');
	const bulk = await srv.api(t, 'POST', '/api/v1/orders/bulk', { orders: [{ account_id: north.account.id, ordered_at: '2026-02-01T00:00:00Z', amount: '1.00' }, { account_id: south.account.id, ordered_at: '2026-02-01T00:00:00Z', amount: '1.00' }] });
	assertError(bulk, 422, 'validation_failed', 'orders[1].account_id');
	assertError(await srv.api(t, 'PATCH', `/api/v1/contacts/${north.contact.id}`, { account_id: south.account.id }), 422, 'validation_failed', 'account_id');
	// the same error as for an account that does not exist: nothing is revealed
	const none = await srv.api(t, 'POST', '/api/v1/contacts', { name: 'x', account_id: 999999 });
	assertError(none, 422, 'validation_failed', 'account_id');

	assertError(await srv.api(t, 'POST', '/api/v1/accounts', { name: 'x', owner_id: u.south1.id }), 422, 'validation_failed', 'owner_id');
	assertError(await srv.api(t, 'POST', '/api/v1/contacts', { name: 'x', owner_id: u.finance.id }), 422, 'validation_failed', 'owner_id');
	assertError(await srv.api(t, 'PATCH', `/api/v1/accounts/${north.account.id}`, { owner_id: u.south1.id }), 422, 'validation_failed', 'owner_id');
	assert.equal(assertStatus(await srv.api(admin, 'GET', `/api/v1/accounts/${north.account.id}`), 200).owner_id, u.north1.id);
	// within the team is fine, and the teammate then sees it
	const handed = await create(t, 'accounts', { name: '交接公司', owner_id: u.north2.id });
	assert.equal(handed.owner_id, u.north2.id);
	assert.equal((await srv.api(u.north2.token, 'GET', `/api/v1/accounts/${handed.id}`)).status, 200);
	assert.equal((await srv.api(u.south1.token, 'GET', `/api/v1/accounts/${handed.id}`)).status, 404);
	// an admin or manager may hand records to anyone
	const moved = assertStatus(await srv.api(u.manager.token, 'PATCH', `/api/v1/accounts/${handed.id}`, { owner_id: u.south1.id }), 200);
	assert.equal(moved.owner_id, u.south1.id);
	assert.equal((await srv.api(t, 'GET', `/api/v1/accounts/${handed.id}`)).status, 404);
	assert.equal((await srv.api(u.south1.token, 'GET', `/api/v1/accounts/${handed.id}`)).status, 200);
});

test('sales: an order or interaction for a hidden contact is refused like one for a missing contact (no probing, no leak of its account)', async () => {
	const t = u.north1.token;
	const body = (contact_id) => ({ contact_id, ordered_at: '2026-02-01T00:00:00Z', amount: '1.00' });
	const hidden = await srv.api(t, 'POST', '/api/v1/orders', body(south.contact.id));
	const missing = await srv.api(t, 'POST', '/api/v1/orders', body(999999));
	assertError(missing, 422, 'validation_failed', 'contact_id');
	assertError(hidden, 422, 'validation_failed', 'contact_id');
	assert.equal(hidden.body.error.message.replace(/\d+/g, 'N'), missing.body.error.message.replace(/\d+/g, 'N'));
	const ihidden = await srv.api(t, 'POST', '/api/v1/interactions', { contact_id: south.contact.id, channel: 'sms', direction: 'outbound' });
	assertError(ihidden, 422, 'validation_failed', 'contact_id');
	assert.equal(assertStatus(await srv.api(admin, 'GET', `/api/v1/orders?contact_id=${south.contact.id}`), 200).data.length, 1, 'nothing was saved');
});

test('sales: records without an owner are invisible to sales; owner_id null never hides a record from its creator', async () => {
	const unowned = await create(admin, 'accounts', { name: '无主公司', owner_id: null });
	assert.equal(unowned.owner_id, null);
	assert.equal((await srv.api(u.north1.token, 'GET', `/api/v1/accounts/${unowned.id}`)).status, 404);
	assert.equal((await srv.api(u.manager.token, 'GET', `/api/v1/accounts/${unowned.id}`)).status, 200);

	// A sales user creating or changing a record to owner_id null would lose sight of it: the
	// reply must be either a refusal (422 owner_id, nothing saved) or a record they still see.
	const r = await srv.api(u.north1.token, 'POST', '/api/v1/accounts', { name: '自我隐藏公司', owner_id: null });
	if (r.status === 422) {
		assertError(r, 422, 'validation_failed', 'owner_id');
		const all = assertStatus(await srv.api(admin, 'GET', `/api/v1/accounts?q=${encodeURIComponent('自我隐藏公司')}`), 200).data;
		assert.deepEqual(all, [], 'a refused create saved nothing');
	} else {
		assert.equal(r.status, 201, `POST owner_id null as sales: ${r.status} ${r.text}`);
		assert.equal((await srv.api(u.north1.token, 'GET', `/api/v1/accounts/${r.body.id}`)).status, 200);
	}
	const p = await srv.api(u.north1.token, 'PATCH', `/api/v1/accounts/${north.account.id}`, { owner_id: null });
	if (p.status === 422) assertError(p, 422, 'validation_failed', 'owner_id');
	else assert.equal(p.status, 200, `PATCH owner_id null as sales: ${p.status} ${p.text}`);
	assert.equal((await srv.api(u.north1.token, 'GET', `/api/v1/accounts/${north.account.id}`)).status, 200, 'north1 still sees their account');
	if (p.status === 422) assert.equal(assertStatus(await srv.api(admin, 'GET', `/api/v1/accounts/${north.account.id}`), 200).owner_id, u.north1.id);
});

test('sales: a contact of my team at another team\'s account shows the account as null', async () => {
	const c = await create(admin, 'contacts', { name: '跨区联系人', account_id: south.account.id, owner_id: u.north1.id, phones: [{ number: '13900000009' }] });
	const v = assertStatus(await srv.api(u.north1.token, 'GET', `/api/v1/contacts/${c.id}/360`), 200);
	assert.equal(v.contact.id, c.id);
	assert.equal(v.account, null);
	const look = assertStatus(await srv.api(u.north1.token, 'GET', '/api/v1/lookup/phone?number=13900000009'), 200);
	assert.equal(look.matches.length, 1);
	assert.equal(look.matches[0].account, null);
	const hit = assertStatus(await srv.api(u.north1.token, 'GET', '/api/v1/search?q=13900000009'), 200).data;
	assert.deepEqual(hit.map((h) => h.id), [c.id]);
	// changing something else keeps the hidden link
	assert.equal(assertStatus(await srv.api(u.north1.token, 'PATCH', `/api/v1/contacts/${c.id}`, { title: '顾问' }), 200).account_id, south.account.id);
});

test('sales: a deleted record\'s audit is for roles that see everything', async () => {
	const c = await create(u.north1.token, 'contacts', { name: '临时联系人' });
	assert.equal((await srv.api(u.north1.token, 'DELETE', `/api/v1/contacts/${c.id}`)).status, 204);
	assertError(await srv.api(u.north1.token, 'GET', `/api/v1/audit?entity=contact&id=${c.id}`), 404, 'not_found');
	const a = assertStatus(await srv.api(u.manager.token, 'GET', `/api/v1/audit?entity=contact&id=${c.id}`), 200);
	assert.deepEqual(a.data.map((x) => x.action), ['create', 'delete']);
	assert.equal(a.data[0].user.username, 'north1');
});

test('ids are not reused: a deleted record\'s history never shows under a new record of another team', async () => {
	const secret = await create(u.south1.token, 'contacts', { name: '南区机密客户', phones: [{ number: '13912345678' }], emails: [{ address: 'secret@south.example.cn' }] });
	assert.equal((await srv.api(u.south1.token, 'DELETE', `/api/v1/contacts/${secret.id}`)).status, 204);
	const mine = await create(u.north1.token, 'contacts', { name: '北区新客户' });
	assert.notEqual(mine.id, secret.id, `the id ${secret.id} of a deleted contact was given to a new one`);
	const audit = assertStatus(await srv.api(u.north1.token, 'GET', `/api/v1/audit?entity=contact&id=${mine.id}`), 200);
	assert.deepEqual(audit.data.map((a) => [a.action, a.user.username]), [['create', 'north1']]);
	assert.ok(!JSON.stringify(audit).includes('南区机密客户'), 'north1 reads the deleted south contact through its reused id');
});

test('manager sees every team\'s records everywhere', async () => {
	const t = u.manager.token;
	for (const k of KINDS) {
		const seen = await listIds(t, k);
		for (const bag of [north, mate, south]) assert.ok(seen.includes(bag[k].id), `manager sees ${k} ${bag[k].id}`);
		assert.equal((await srv.api(t, 'GET', `/api/v1/${plural(k)}/${south[k].id}`)).status, 200);
		assert.equal((await srv.api(t, 'GET', `/api/v1/audit?entity=${k}&id=${south[k].id}`)).status, 200);
	}
	assert.equal(assertStatus(await srv.api(t, 'GET', '/api/v1/lookup/phone?number=13900000003'), 200).matches.length, 1);
	assert.equal(assertStatus(await srv.api(t, 'GET', '/api/v1/search?q=wanglei3'), 200).data.length, 1);
	assert.equal((await srv.api(t, 'GET', `/api/v1/contacts/${south.contact.id}/360`)).status, 200);
	assertError(await srv.api(t, 'GET', '/api/v1/users'), 403, 'forbidden');
});

test('finance books orders but may not change customers; service and marketing do not book orders', async () => {
	const f = u.finance.token;
	assertError(await srv.api(f, 'POST', '/api/v1/contacts', { name: '财务新建' }), 403, 'forbidden');
	assertError(await srv.api(f, 'POST', '/api/v1/accounts', { name: '财务新建' }), 403, 'forbidden');
	assertError(await srv.api(f, 'POST', '/api/v1/interactions', { contact_id: south.contact.id, channel: 'email', direction: 'outbound' }), 403, 'forbidden');
	assertError(await srv.api(f, 'PATCH', `/api/v1/contacts/${south.contact.id}`, { title: 'x' }), 403, 'forbidden');
	assertError(await srv.api(f, 'DELETE', `/api/v1/contacts/${south.contact.id}`), 403, 'forbidden');
	assertError(await srv.api(f, 'PATCH', '/api/v1/contacts/999999', { title: 'x' }), 404, 'not_found');
	const order = await create(f, 'orders', { account_id: south.account.id, ordered_at: '2026-03-01T00:00:00Z', amount: '2500.00', source: 'finance', external_ref: 'INV-1' });
	assert.equal(order.account_id, south.account.id);
	assert.equal(assertStatus(await srv.api(f, 'PATCH', `/api/v1/orders/${order.id}`, { status: 'cancelled' }), 200).status, 'cancelled');
	assert.equal(assertStatus(await srv.api(f, 'POST', '/api/v1/orders/bulk', { orders: [{ account_id: north.account.id, ordered_at: '2026-03-01T00:00:00Z', amount: '1.00' }] }), 200).created, 1);
	assert.equal((await srv.api(f, 'GET', `/api/v1/contacts/${south.contact.id}`)).status, 200, 'finance reads customers');
	assert.equal(assertStatus(await srv.api(admin, 'GET', `/api/v1/contacts/${south.contact.id}`), 200).version, 1);

	for (const who of [u.service, u.marketing]) {
		assertError(await srv.api(who.token, 'POST', '/api/v1/orders', { account_id: south.account.id, ordered_at: '2026-03-01T00:00:00Z', amount: '1.00' }), 403, 'forbidden');
		assertError(await srv.api(who.token, 'POST', '/api/v1/orders/bulk', { orders: [{ account_id: south.account.id, ordered_at: '2026-03-01T00:00:00Z', amount: '1.00' }] }), 403, 'forbidden');
		assertError(await srv.api(who.token, 'PATCH', `/api/v1/orders/${south.order.id}`, { status: 'cancelled' }), 403, 'forbidden');
		assertError(await srv.api(who.token, 'DELETE', `/api/v1/orders/${south.order.id}`), 403, 'forbidden');
		const i = await create(who.token, 'interactions', { contact_id: south.contact.id, channel: 'chat', direction: 'inbound' });
		assert.equal(i.user_id, who.id);
		const c = await create(who.token, 'contacts', { name: `${who.user.username} 新客户` });
		assert.equal(c.owner_id, who.id);
	}
	assert.equal(assertStatus(await srv.api(admin, 'GET', `/api/v1/orders/${south.order.id}`), 200).status, 'completed');
});

test('the server stops cleanly on SIGTERM (exit 0, no sanitizer report)', async () => {
	await srv.stopAndCheck();
});
