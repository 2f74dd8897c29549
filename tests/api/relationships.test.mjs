// relationships.test.mjs — issue 4 over HTTP: people inside an account (department, reports_to_id,
// buying_role, the position history written on every change), relationships between customers
// (CRUD, validation, audit), and the network questions (org chart, N-hop neighbourhood, paths and
// "who can introduce us", uncontacted decision makers, referral chains with revenue), with the
// visibility rule: a sales user never sees another team's customer in any of these answers.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { assertError, assertStatus, runCli, startServer } from './lib/server.mjs';

let srv;
let admin;
const u = {};
const c = {}; // contacts by short name
const a = {}; // accounts by short name

async function create(token, kind, body) {
	return assertStatus(await srv.api(token, 'POST', `/api/v1/${kind}`, body), 201);
}
const get = async (token, p) => srv.api(token, 'GET', p);
const ok = async (token, p) => assertStatus(await get(token, p), 200);

before(async () => {
	srv = await startServer();
	admin = await srv.loginAdmin();
	u.north = await srv.user(admin, { username: 'north', role: 'sales', team: 'north' });
	u.south = await srv.user(admin, { username: 'south', role: 'sales', team: 'south' });
	u.cash = await srv.user(admin, { username: 'cash', role: 'finance' });
	const n = u.north.token;
	const s = u.south.token;
	a.acme = await create(n, 'accounts', { name: '华北钢铁 Acme' });
	a.beta = await create(n, 'accounts', { name: 'Beta 物流' });
	a.secret = await create(s, 'accounts', { name: '南方秘密 Secret' });
	c.ceo = await create(n, 'contacts', { name: '王总', account_id: a.acme.id, title: 'CEO', department: '总经办', buying_role: 'decision_maker' });
	c.cto = await create(n, 'contacts', { name: '李工', account_id: a.acme.id, title: 'CTO', department: '技术部', reports_to_id: c.ceo.id, buying_role: 'influencer' });
	c.dev = await create(n, 'contacts', { name: 'Dev Zhang', account_id: a.acme.id, title: 'Engineer', reports_to_id: c.cto.id, buying_role: 'user' });
	c.buyer = await create(n, 'contacts', { name: '采购 陈', account_id: a.beta.id, title: '采购经理', buying_role: 'buyer' });
	c.hidden = await create(s, 'contacts', { name: '秘密 赵', account_id: a.secret.id, title: 'Boss', buying_role: 'decision_maker' });
	c.friend = await create(n, 'contacts', { name: 'Friend 周' });
});
after(() => srv?.cleanup());

test('org chart fields are validated and the contact record shows them', async () => {
	const n = u.north.token;
	assert.equal(c.cto.reports_to_id, c.ceo.id);
	assert.equal(c.cto.department, '技术部');
	assert.equal(c.ceo.buying_role, 'decision_maker');
	assertError(await srv.api(n, 'POST', '/api/v1/contacts', { name: 'x', buying_role: 'king' }), 422, 'validation_failed', 'buying_role');
	// a manager must be a contact of the same account
	assertError(await srv.api(n, 'PATCH', `/api/v1/contacts/${c.buyer.id}`, { reports_to_id: c.ceo.id }), 422, 'validation_failed', 'reports_to_id');
	// no loops
	assertError(await srv.api(n, 'PATCH', `/api/v1/contacts/${c.ceo.id}`, { reports_to_id: c.dev.id }), 422, 'validation_failed', 'reports_to_id');
	assertError(await srv.api(n, 'PATCH', `/api/v1/contacts/${c.ceo.id}`, { reports_to_id: c.ceo.id }), 422, 'validation_failed', 'reports_to_id');
	// another team's contact reads as absent
	const e = assertError(await srv.api(n, 'PATCH', `/api/v1/contacts/${c.dev.id}`, { reports_to_id: c.hidden.id }), 422, 'validation_failed', 'reports_to_id');
	assert.match(e.message, /no contact with id/);
	// a manager with reports cannot be deleted
	assertError(await srv.api(n, 'DELETE', `/api/v1/contacts/${c.cto.id}`), 409, 'conflict');
	// filters
	const dms = await ok(n, '/api/v1/contacts?buying_role=decision_maker');
	assert.deepEqual(dms.data.map((x) => x.id), [c.ceo.id]);
	const reports = await ok(n, `/api/v1/contacts?reports_to_id=${c.ceo.id}`);
	assert.deepEqual(reports.data.map((x) => x.id), [c.cto.id]);
});

test('org chart of an account: a tree by reports_to_id, visible people only', async () => {
	const chart = await ok(u.north.token, `/api/v1/accounts/${a.acme.id}/orgchart`);
	assert.equal(chart.account.id, a.acme.id);
	assert.equal(chart.count, 3);
	assert.equal(chart.roots.length, 1);
	const ceo = chart.roots[0];
	assert.equal(ceo.id, c.ceo.id);
	assert.equal(ceo.reports[0].id, c.cto.id);
	assert.equal(ceo.reports[0].reports[0].id, c.dev.id);
	assert.equal(ceo.reports[0].reports[0].reports_to_id, c.cto.id);
	assertError(await get(u.south.token, `/api/v1/accounts/${a.acme.id}/orgchart`), 404, 'not_found');
	assertError(await get(u.north.token, `/api/v1/accounts/${a.secret.id}/orgchart`), 404, 'not_found');
});

test('position history: every change of account, title, department or role, kept across a move', async () => {
	const n = u.north.token;
	const mover = await create(n, 'contacts', { name: '跳槽 刘', account_id: a.acme.id, title: 'Sales', department: '销售部' });
	assertStatus(await srv.api(n, 'PATCH', `/api/v1/contacts/${mover.id}`, { title: 'Sales Director', buying_role: 'champion' }), 200);
	const moved = assertStatus(await srv.api(n, 'PATCH', `/api/v1/contacts/${mover.id}`, { account_id: a.beta.id, title: '总监' }), 200);
	assert.equal(moved.account_id, a.beta.id);
	const h = await ok(n, `/api/v1/contacts/${mover.id}/positions`);
	assert.equal(h.data.length, 3);
	assert.deepEqual(h.data.map((p) => p.title), ['总监', 'Sales Director', 'Sales']);
	assert.equal(h.data[0].account.id, a.beta.id);
	assert.equal(h.data[0].account.name, a.beta.name);
	assert.equal(h.data[0].valid_to, null);
	assert.equal(h.data[2].account.id, a.acme.id);
	assert.ok(h.data[2].valid_to);
	assert.equal(h.data[1].buying_role, 'champion');
	// who joined and who left, per account
	const acme = await ok(n, `/api/v1/accounts/${a.acme.id}/positions?limit=2`);
	assert.equal(acme.data.length, 2);
	assert.ok(acme.next_cursor);
	const rest = await ok(n, `/api/v1/accounts/${a.acme.id}/positions?limit=500&cursor=${acme.next_cursor}`);
	const all = [...acme.data, ...rest.data];
	assert.ok(all.some((p) => p.contact.id === mover.id && p.valid_to));
	assert.equal(rest.next_cursor, null);
	// a change of notes only writes no history
	assertStatus(await srv.api(n, 'PATCH', `/api/v1/contacts/${mover.id}`, { notes: 'x' }), 200);
	assert.equal((await ok(n, `/api/v1/contacts/${mover.id}/positions`)).data.length, 3);
	assertError(await get(u.south.token, `/api/v1/contacts/${mover.id}/positions`), 404, 'not_found');
	assertError(await get(u.south.token, `/api/v1/accounts/${a.acme.id}/positions`), 404, 'not_found');
	assertStatus(await srv.api(n, 'DELETE', `/api/v1/contacts/${mover.id}`), 204);
});

test('relationships: create, read, patch with version, audit, delete', async () => {
	const n = u.north.token;
	const r = await create(n, 'relationships', { from_kind: 'contact', from_id: c.friend.id, to_id: c.cto.id, type: 'friend', strength: 5, note: '大学同学', valid_from: '2010-09-01' });
	assert.equal(r.to_kind, 'contact');
	assert.equal(r.strength, 5);
	assert.equal(r.version, 1);
	const got = await ok(n, `/api/v1/relationships/${r.id}`);
	assert.deepEqual(got, r);
	const patched = assertStatus(await srv.api(n, 'PATCH', `/api/v1/relationships/${r.id}`, { strength: 4, version: 1 }), 200);
	assert.equal(patched.strength, 4);
	assertError(await srv.api(n, 'PATCH', `/api/v1/relationships/${r.id}`, { strength: 3, version: 1 }), 409, 'conflict');
	assertError(await srv.api(n, 'PATCH', `/api/v1/relationships/${r.id}`, { to_id: c.dev.id }), 422, 'validation_failed', 'to_id');
	const trail = await ok(n, `/api/v1/audit?entity=relationship&id=${r.id}`);
	assert.deepEqual(trail.data.map((x) => x.action), ['create', 'update']);
	const list = await ok(n, `/api/v1/relationships?from_id=${c.friend.id}`);
	assert.deepEqual(list.data.map((x) => x.id), [r.id]);
	// the customer's page lists it from both ends
	const mine = await ok(n, `/api/v1/contacts/${c.cto.id}/relationships`);
	assert.equal(mine.data[0].direction, 'in');
	assert.deepEqual(mine.data[0].other, { kind: 'contact', id: c.friend.id, name: c.friend.name });
	const view = await ok(n, `/api/v1/contacts/${c.friend.id}/360`);
	assert.equal(view.relationships[0].id, r.id);
	assert.equal(view.relationships[0].direction, 'out');
	const temp = await create(n, 'relationships', { from_kind: 'contact', from_id: c.friend.id, to_id: c.dev.id, type: 'family' });
	assertStatus(await srv.api(n, 'DELETE', `/api/v1/relationships/${temp.id}`), 204);
	assertError(await get(n, `/api/v1/relationships/${temp.id}`), 404, 'not_found');
});

test('relationships: validation names the field', async () => {
	const n = u.north.token;
	const base = { from_kind: 'account', from_id: a.acme.id, to_id: a.beta.id };
	assertError(await srv.api(n, 'POST', '/api/v1/relationships', { ...base, type: 'friend' }), 422, 'validation_failed', 'type');
	assertError(await srv.api(n, 'POST', '/api/v1/relationships', { ...base, type: 'nonsense' }), 422, 'validation_failed', 'type');
	assertError(await srv.api(n, 'POST', '/api/v1/relationships', { ...base, type: 'partner', strength: 6 }), 422, 'validation_failed', 'strength');
	assertError(await srv.api(n, 'POST', '/api/v1/relationships', { ...base, type: 'partner', to_kind: 'contact' }), 422, 'validation_failed', 'to_kind');
	assertError(await srv.api(n, 'POST', '/api/v1/relationships', { ...base, to_id: a.acme.id, type: 'partner' }), 422, 'validation_failed', 'to_id');
	assertError(await srv.api(n, 'POST', '/api/v1/relationships', { ...base, type: 'partner', valid_from: '2026-02-01', valid_to: '2026-01-01' }), 422, 'validation_failed', 'valid_to');
	assertError(await srv.api(n, 'POST', '/api/v1/relationships', { ...base, type: 'partner', valid_from: '2026-02-30' }), 422, 'validation_failed', 'valid_from');
	assertError(await srv.api(n, 'POST', '/api/v1/relationships', { ...base, to_id: a.secret.id, type: 'partner' }), 422, 'validation_failed', 'to_id');
	assertError(await srv.api(n, 'POST', '/api/v1/relationships', { ...base, type: 'partner', colour: 'red' }), 422, 'validation_failed', 'colour');
	assertError(await srv.api(n, 'POST', '/api/v1/relationships', { from_kind: 'account', to_id: a.beta.id, type: 'partner' }), 422, 'validation_failed', 'from_id');
	const p = await create(n, 'relationships', { ...base, type: 'partner' });
	assertError(await srv.api(n, 'POST', '/api/v1/relationships', { ...base, type: 'partner' }), 409, 'conflict');
	assertError(await srv.api(n, 'POST', '/api/v1/relationships', { from_kind: 'account', from_id: a.beta.id, to_id: a.acme.id, type: 'partner' }), 409, 'conflict');
	assertError(await srv.api(u.cash.token, 'POST', '/api/v1/relationships', { ...base, type: 'competitor' }), 403, 'forbidden');
	assertStatus(await srv.api(n, 'DELETE', `/api/v1/relationships/${p.id}`), 204);
});

test('another team never sees a relationship, in lists, reads, 360 or audit', async () => {
	const s = u.south.token;
	const n = u.north.token;
	const mixed = await create(admin, 'relationships', { from_kind: 'contact', from_id: c.dev.id, to_id: c.hidden.id, type: 'former_colleague' });
	assertError(await get(n, `/api/v1/relationships/${mixed.id}`), 404, 'not_found');
	assertError(await get(s, `/api/v1/relationships/${mixed.id}`), 404, 'not_found');
	assertError(await srv.api(n, 'DELETE', `/api/v1/relationships/${mixed.id}`), 404, 'not_found');
	assertError(await get(n, `/api/v1/audit?entity=relationship&id=${mixed.id}`), 404, 'not_found');
	const all = await ok(n, '/api/v1/relationships?limit=500');
	assert.ok(!all.data.some((r) => r.id === mixed.id));
	const view = await ok(n, `/api/v1/contacts/${c.dev.id}/360`);
	assert.ok(!view.relationships.some((r) => r.id === mixed.id));
	assert.ok(!JSON.stringify(await ok(n, `/api/v1/contacts/${c.dev.id}/network?hops=4`)).includes(c.hidden.name));
	const adminView = await ok(admin, `/api/v1/contacts/${c.dev.id}/relationships`);
	assert.ok(adminView.data.some((r) => r.id === mixed.id));
	assertStatus(await srv.api(admin, 'DELETE', `/api/v1/relationships/${mixed.id}`), 204);
});

test('network: everyone within N hops, with the edges', async () => {
	const n = u.north.token;
	const r = await create(n, 'relationships', { from_kind: 'contact', from_id: c.buyer.id, to_id: c.dev.id, type: 'former_colleague', strength: 2 });
	const one = await ok(n, `/api/v1/contacts/${c.buyer.id}/network?hops=1`);
	assert.equal(one.center, `contact:${c.buyer.id}`);
	const keys1 = one.nodes.map((x) => x.key);
	assert.deepEqual(new Set(keys1), new Set([`contact:${c.buyer.id}`, `account:${a.beta.id}`, `contact:${c.dev.id}`]));
	assert.ok(one.edges.some((e) => e.type === 'former_colleague' && e.relationship_id === r.id && e.strength === 2));
	assert.ok(one.edges.some((e) => e.type === 'works_at' && e.from === `contact:${c.buyer.id}` && e.to === `account:${a.beta.id}`));
	const three = await ok(n, `/api/v1/contacts/${c.buyer.id}/network?hops=3`);
	const byKey = Object.fromEntries(three.nodes.map((x) => [x.key, x]));
	assert.equal(byKey[`contact:${c.cto.id}`].depth, 2);
	assert.equal(byKey[`account:${a.acme.id}`].depth, 2);
	assert.equal(byKey[`contact:${c.ceo.id}`].depth, 3);
	const acct = await ok(n, `/api/v1/accounts/${a.acme.id}/network?hops=1`);
	assert.equal(acct.nodes.filter((x) => x.kind === 'contact').length, 3);
	assertError(await get(n, `/api/v1/contacts/${c.buyer.id}/network?hops=9`), 400, 'bad_request', 'hops');
	assertError(await get(n, `/api/v1/contacts/${c.hidden.id}/network`), 404, 'not_found');
	assertStatus(await srv.api(n, 'DELETE', `/api/v1/relationships/${r.id}`), 204);
});

test('paths: the shortest chain, never through what the user may not see', async () => {
	const n = u.north.token;
	const s = u.south.token;
	const target = await create(s, 'contacts', { name: '目标 决策人', account_id: a.secret.id, buying_role: 'decision_maker' });
	const south2 = await create(s, 'contacts', { name: 'South friend' });
	// north's friend knows a south person who knows the target; only the admin sees all of it
	const r1 = await create(admin, 'relationships', { from_kind: 'contact', from_id: c.friend.id, to_id: south2.id, type: 'friend' });
	const r2 = await create(admin, 'relationships', { from_kind: 'contact', from_id: south2.id, to_id: target.id, type: 'friend' });
	const path = await ok(admin, `/api/v1/paths?from=contact:${c.friend.id}&to=contact:${target.id}`);
	assert.equal(path.paths.length, 1);
	assert.equal(path.paths[0].hops, 2);
	assert.deepEqual(path.paths[0].nodes.map((x) => x.id), [c.friend.id, south2.id, target.id]);
	assert.deepEqual(path.paths[0].edges.map((e) => e.relationship_id), [r1.id, r2.id]);
	// north cannot see the target: 404, not an empty answer
	assertError(await get(n, `/api/v1/paths?from=contact:${c.friend.id}&to=contact:${target.id}`), 404, 'not_found');
	// south sees the target but not north's friend
	assertError(await get(s, `/api/v1/paths?from=contact:${c.friend.id}&to=contact:${target.id}`), 404, 'not_found');
	// north: CEO to Dev in two hops (through the CTO or their company), within north's records
	const inside = await ok(n, `/api/v1/paths?from=contact:${c.ceo.id}&to=contact:${c.dev.id}`);
	assert.equal(inside.paths[0].hops, 2);
	assert.equal(inside.paths[0].nodes[0].id, c.ceo.id);
	assert.equal(inside.paths[0].nodes[2].id, c.dev.id);
	assert.deepEqual(inside.paths[0].nodes.map((x) => x.depth), [0, 1, 2]);
	// who can introduce south to the target: south's own contacts, nearest first
	const intro = await ok(s, `/api/v1/paths?to=contact:${target.id}`);
	assert.ok(intro.paths.length >= 1);
	assert.equal(intro.paths[0].nodes.at(-1).id, target.id);
	assert.ok(!JSON.stringify(intro).includes(c.friend.name));
	// for north, the path through south's contact does not exist
	const northIntro = await ok(n, `/api/v1/paths?to=contact:${c.dev.id}`);
	for (const p of northIntro.paths) for (const x of p.nodes) assert.notEqual(x.id, south2.id);
	const none = await ok(n, `/api/v1/paths?from=contact:${c.friend.id}&to=contact:${c.buyer.id}&max_hops=1`);
	assert.deepEqual(none.paths, []);
	assertError(await get(n, '/api/v1/paths?to=person:1'), 400, 'bad_request', 'to');
	assertError(await get(n, '/api/v1/paths'), 400, 'bad_request', 'to');
	for (const r of [r1, r2]) assertStatus(await srv.api(admin, 'DELETE', `/api/v1/relationships/${r.id}`), 204);
});

test('uncontacted decision makers: accounts whose decision makers nobody talked to', async () => {
	const n = u.north.token;
	let list = await ok(n, '/api/v1/insights/uncontacted-decision-makers');
	assert.deepEqual(list.data.map((x) => x.account.id), [a.acme.id]);
	assert.deepEqual(list.data[0].decision_makers.map((x) => x.id), [c.ceo.id]);
	assert.equal(list.next_cursor, null);
	const adminList = await ok(admin, '/api/v1/insights/uncontacted-decision-makers');
	assert.ok(adminList.data.some((x) => x.account.id === a.secret.id));
	await create(n, 'interactions', { contact_id: c.ceo.id, channel: 'visit', direction: 'outbound' });
	list = await ok(n, '/api/v1/insights/uncontacted-decision-makers');
	assert.deepEqual(list.data, []);
});

test('referral chains with the revenue they brought', async () => {
	const n = u.north.token;
	const r1 = await create(n, 'relationships', { from_kind: 'account', from_id: a.beta.id, to_id: a.acme.id, type: 'referred_by', valid_from: '2025-03-01' });
	const gamma = await create(n, 'accounts', { name: 'Gamma 化工' });
	const r2 = await create(n, 'relationships', { from_kind: 'account', from_id: gamma.id, to_id: a.beta.id, type: 'referred_by' });
	await create(n, 'orders', { account_id: a.beta.id, ordered_at: '2026-01-01T00:00:00Z', amount: '1000.00' });
	await create(n, 'orders', { account_id: gamma.id, ordered_at: '2026-01-02T00:00:00Z', amount: '250.50' });
	await create(n, 'orders', { account_id: gamma.id, ordered_at: '2026-01-03T00:00:00Z', amount: '99.00', status: 'cancelled' });
	const refs = await ok(n, '/api/v1/referrals');
	assert.equal(refs.currency, 'CNY');
	assert.equal(refs.data.length, 1);
	const chain = refs.data[0];
	assert.equal(chain.referrer.id, a.acme.id);
	assert.equal(chain.direct_revenue, '1000.00');
	assert.equal(chain.chain_revenue, '1250.50');
	assert.equal(chain.customers, 2);
	assert.equal(chain.referred[0].id, a.beta.id);
	assert.equal(chain.referred[0].referred_on, '2025-03-01');
	assert.equal(chain.referred[0].referred[0].id, gamma.id);
	assert.equal(chain.referred[0].referred[0].revenue, '250.50');
	assert.deepEqual((await ok(u.south.token, '/api/v1/referrals')).data, []);
	// the account's own page shows its relationships; deleting a customer deletes its relationships
	const view = await ok(n, `/api/v1/accounts/${a.beta.id}/360`);
	assert.deepEqual(new Set(view.relationships.map((x) => x.id)), new Set([r1.id, r2.id]));
	assertStatus(await srv.api(admin, 'DELETE', `/api/v1/orders/${(await ok(n, `/api/v1/orders?account_id=${gamma.id}&limit=500`)).data[0].id}`), 204);
	for (const o of (await ok(n, `/api/v1/orders?account_id=${gamma.id}&limit=500`)).data) assertStatus(await srv.api(admin, 'DELETE', `/api/v1/orders/${o.id}`), 204);
	assertStatus(await srv.api(n, 'DELETE', `/api/v1/accounts/${gamma.id}`), 204);
	assertError(await get(admin, `/api/v1/relationships/${r2.id}`), 404, 'not_found');
	const trail = await ok(admin, `/api/v1/audit?entity=relationship&id=${r2.id}`);
	assert.deepEqual(trail.data.map((x) => x.action), ['create', 'delete']);
});

test('the server stops cleanly', async () => {
	await srv.stopAndCheck();
});
