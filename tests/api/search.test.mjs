// search.test.mjs — the caller-id lookup (any way of writing a number) and the search box
// (pinyin, initials, simplified/traditional and width folding, case, email, company, tag, phone).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { assertError, assertStatus, startServer } from './lib/server.mjs';

let srv;
let admin;
let huaxin; // account 北京华信科技有限公司
let kehu; // account 客戶有限公司 (traditional)
let zhangwei; // contact 张伟, 13800138000, at huaxin
let jane; // contact Jane Doe, Beijing landline
let lin; // contact 林小明 at kehu

before(async () => {
	srv = await startServer();
	admin = await srv.loginAdmin();
	const post = async (p, body) => assertStatus(await srv.api(admin, 'POST', p, body), 201);
	huaxin = await post('/api/v1/accounts', { name: '北京华信科技有限公司', website: 'https://huaxin.example.cn', tags: ['重点客户'] });
	kehu = await post('/api/v1/accounts', { name: '客戶有限公司' });
	zhangwei = await post('/api/v1/contacts', {
		name: '张伟',
		account_id: huaxin.id,
		phones: [{ kind: 'mobile', number: '13800138000' }],
		emails: [{ address: 'zhang.wei@huaxin.example.cn' }],
		tags: ['决策人'],
	});
	jane = await post('/api/v1/contacts', {
		name: 'Jane Doe',
		phones: [{ kind: 'work', number: '010-6552 9988' }],
		emails: [{ address: 'jane.doe@acme-global.example.com' }],
		tags: ['expat'],
	});
	lin = await post('/api/v1/contacts', { name: '林小明', account_id: kehu.id, phones: [{ number: '+1 415 555 0132' }] });
});
after(() => srv?.cleanup());

const lookup = (number) => srv.api(admin, 'GET', `/api/v1/lookup/phone?number=${encodeURIComponent(number)}`);
const search = async (q) => assertStatus(await srv.api(admin, 'GET', `/api/v1/search?q=${encodeURIComponent(q)}`), 200).data;
const contactSearch = async (q) => assertStatus(await srv.api(admin, 'GET', `/api/v1/contacts?q=${encodeURIComponent(q)}`), 200).data;
const ids = (hits, kind) => hits.filter((h) => !kind || h.kind === kind).map((h) => h.id).sort((a, b) => a - b);

test('lookup: every way of writing 13800138000 finds 张伟', async () => {
	for (const number of ['138 0013 8000', '+86 138-0013-8000', '0086 13800138000', '+8613800138000', '１３８００１３８０００', '(+86) 138.0013.8000', '13800138000', '138-0013-8000']) {
		const r = await lookup(number);
		assert.equal(r.status, 200, `${number}: ${r.text}`);
		assert.equal(r.body.number, '+8613800138000', number);
		assert.equal(r.body.matches.length, 1, `${number} finds one contact`);
		const m = r.body.matches[0];
		assert.equal(m.contact.id, zhangwei.id, number);
		assert.equal(m.contact.name, '张伟');
		assert.equal(m.account.id, huaxin.id);
		assert.equal(m.account.name, '北京华信科技有限公司');
		assert.equal(m.summary.interaction_count, 0);
		assert.equal(m.summary.lifetime_revenue, '0.00');
	}
});

test('lookup: a Beijing landline stored as 010-6552 9988 is found by +86 10 6552 9988 and 01065529988', async () => {
	for (const number of ['+86 10 6552 9988', '01065529988', '010 6552 9988', '0086-10-65529988']) {
		const r = await lookup(number);
		assert.equal(r.status, 200, `${number}: ${r.text}`);
		assert.equal(r.body.number, '+861065529988');
		assert.deepEqual(r.body.matches.map((m) => m.contact.id), [jane.id], number);
		assert.equal(r.body.matches[0].account, null, 'no account: null');
	}
	const us = await lookup('+1 (415) 555-0132');
	assert.deepEqual(us.body.matches.map((m) => m.contact.id), [lin.id]);
});

test('lookup: an unknown number has no matches; garbage is 422 naming number; no number is 400', async () => {
	const r = await lookup('139 0000 0000');
	assert.equal(r.status, 200);
	assert.deepEqual(r.body, { number: '+8613900000000', matches: [] });
	// another region's number with the same digits is another number
	const foreign = await lookup('+1 138 0013 8000');
	if (foreign.status === 200) assert.deepEqual(foreign.body.matches, []);
	else assertError(foreign, 422, 'validation_failed', 'number');
	for (const bad of ['garbage', '12', '', '++86', '电话'])
		assertError(await lookup(bad), 422, 'validation_failed', 'number');
	assertError(await srv.api(admin, 'GET', '/api/v1/lookup/phone'), 400, 'bad_request', 'number');
});

test('lookup: two contacts sharing a number are both found', async () => {
	const twin = assertStatus(await srv.api(admin, 'POST', '/api/v1/contacts', { name: '张伟助理', phones: [{ number: '+86 138 0013 8000', kind: 'work' }] }), 201);
	const r = await lookup('13800138000');
	assert.deepEqual(r.body.matches.map((m) => m.contact.id), [zhangwei.id, twin.id]);
	assert.equal((await srv.api(admin, 'DELETE', `/api/v1/contacts/${twin.id}`)).status, 204);
	assert.equal((await lookup('13800138000')).body.matches.length, 1);
});

test('search: 张伟 by full pinyin, initials, one character, and traditional characters', async () => {
	for (const q of ['zhangwei', 'zw', '张', '张伟', '張偉', 'ZhangWei', 'zhang wei', 'ZW']) {
		const hits = await search(q);
		assert.deepEqual(ids(hits, 'contact'), [zhangwei.id], `search ${q}`);
		assert.deepEqual(ids(await contactSearch(q)), [zhangwei.id], `contacts?q=${q}`);
	}
	const hit = (await search('zw')).find((h) => h.id === zhangwei.id);
	assert.deepEqual(hit, {
		kind: 'contact',
		id: zhangwei.id,
		name: '张伟',
		tier: 'bronze',
		account_id: huaxin.id,
		account_name: '北京华信科技有限公司',
		phones: zhangwei.phones,
		emails: zhangwei.emails,
	});
});

test('search: simplified finds traditional (客户 -> 客戶有限公司) and width and case fold (ｊａｎｅ, JANE -> Jane Doe)', async () => {
	for (const q of ['客户', '客戶', '有限公司']) {
		const hits = await search(q);
		assert.ok(hits.some((h) => h.kind === 'account' && h.id === kehu.id), `${q} finds 客戶有限公司`);
	}
	const acc = (await search('客户')).find((h) => h.kind === 'account');
	assert.deepEqual(acc, { kind: 'account', id: kehu.id, name: '客戶有限公司', tier: 'bronze' });
	for (const q of ['ｊａｎｅ', 'JANE', 'jane', 'jAnE dOe', 'Ｄｏｅ', 'doe']) {
		assert.deepEqual(ids(await search(q), 'contact'), [jane.id], q);
		assert.deepEqual(ids(await contactSearch(q)), [jane.id], `contacts?q=${q}`);
	}
});

test('search: by email substring, company name, website, tag, phone digits and +86 138', async () => {
	const cases = [
		['acme-global', [jane.id]],
		['JANE.DOE@ACME', [jane.id]],
		['zhang.wei@', [zhangwei.id]],
		['华信', [zhangwei.id]], // the company: contact search finds its people
		['北京华信科技', [zhangwei.id]],
		['客户有限', [lin.id]],
		['决策人', [zhangwei.id]],
		['expat', [jane.id]],
		['13800138000', [zhangwei.id]],
		['0013 8000', [zhangwei.id]],
		['+86 138', [zhangwei.id]],
		['+86 138-0013-8000', [zhangwei.id]],
		['0086 138 0013 8000', [zhangwei.id]],
		['65529988', [jane.id]],
		['+86 10 6552 9988', [jane.id]],
		['4155550132', [lin.id]],
	];
	for (const [q, want] of cases) {
		assert.deepEqual(ids(await contactSearch(q)), want, `contacts?q=${q}`);
		assert.deepEqual(ids(await search(q), 'contact'), want, `search?q=${q}`);
	}
	assert.deepEqual(ids(await search('华信'), 'account'), [huaxin.id]);
	assert.deepEqual(ids(await search('huaxin.example'), 'account'), [huaxin.id], 'accounts by website');
	assert.deepEqual(ids(await search('重点客户'), 'account'), [huaxin.id], 'accounts by tag');
	// account search has its own list endpoint
	const accounts = assertStatus(await srv.api(admin, 'GET', `/api/v1/accounts?q=${encodeURIComponent('華信')}`), 200).data;
	assert.deepEqual(accounts.map((a) => a.id), [huaxin.id]);
});

test('search: nothing matches -> empty lists; q is required; interactions and orders cannot be searched', async () => {
	assert.deepEqual(await search('不存在的名字'), []);
	assert.deepEqual(await search('zzzzqqq'), []);
	assert.deepEqual(await contactSearch('99999999999'), []);
	assert.deepEqual(await search(''), []);
	assertError(await srv.api(admin, 'GET', '/api/v1/search'), 400, 'bad_request', 'q');
	assertError(await srv.api(admin, 'GET', '/api/v1/interactions?q=x'), 400, 'bad_request', 'q');
	assertError(await srv.api(admin, 'GET', '/api/v1/orders?q=x'), 400, 'bad_request', 'q');
	assertError(await srv.api(admin, 'GET', '/api/v1/search?q=x&limit=0'), 400, 'bad_request', 'limit');
	assertError(await srv.api(admin, 'GET', '/api/v1/search?q=x&limit=501'), 400, 'bad_request', 'limit');
});

test('search: renaming an account updates contact search by company; renaming a contact updates search', async () => {
	const acc = assertStatus(await srv.api(admin, 'POST', '/api/v1/accounts', { name: '旧名称贸易公司' }), 201);
	const people = [];
	for (const name of ['马超', '马云飞', 'Ma Li'])
		people.push(assertStatus(await srv.api(admin, 'POST', '/api/v1/contacts', { name, account_id: acc.id }), 201).id);
	assert.deepEqual(ids(await contactSearch('旧名称')), people.sort((a, b) => a - b));
	assertStatus(await srv.api(admin, 'PATCH', `/api/v1/accounts/${acc.id}`, { name: '新纪元科技集团' }), 200);
	assert.deepEqual(await contactSearch('旧名称'), [], 'the old company name no longer finds its people');
	assert.deepEqual(ids(await contactSearch('新纪元')), people);
	assert.ok((await search('新纪元')).some((h) => h.kind === 'account' && h.id === acc.id));
	assert.equal((await search('新纪元')).find((h) => h.kind === 'contact').account_name, '新纪元科技集团');
	// moving a contact to another account changes its company in search
	assertStatus(await srv.api(admin, 'PATCH', `/api/v1/contacts/${people[0]}`, { account_id: kehu.id }), 200);
	assert.ok(ids(await contactSearch('客户有限')).includes(people[0]));
	// renaming a contact
	assertStatus(await srv.api(admin, 'PATCH', `/api/v1/contacts/${people[1]}`, { name: '欧阳娜娜' }), 200);
	assert.deepEqual(ids(await contactSearch('ouyang')), [people[1]]);
	assert.deepEqual(ids(await contactSearch('oynn')), [people[1]]);
	// a deleted contact is no longer found
	assert.equal((await srv.api(admin, 'DELETE', `/api/v1/contacts/${people[2]}`)).status, 204);
	assert.deepEqual(await contactSearch('Ma Li'), []);
});

test('search: tags, q and filters combine in contact lists', async () => {
	assert.deepEqual((await srv.api(admin, 'GET', '/api/v1/contacts?tag=%E5%86%B3%E7%AD%96%E4%BA%BA')).body.data.map((c) => c.id), [zhangwei.id]);
	assert.deepEqual((await srv.api(admin, 'GET', `/api/v1/contacts?q=zw&account_id=${huaxin.id}`)).body.data.map((c) => c.id), [zhangwei.id]);
	assert.deepEqual((await srv.api(admin, 'GET', `/api/v1/contacts?q=zw&account_id=${kehu.id}`)).body.data, []);
});

test('the server stops cleanly on SIGTERM (exit 0, no sanitizer report)', async () => {
	await srv.stopAndCheck();
});
