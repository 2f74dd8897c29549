// imports.test.mjs — imports as background jobs (raw and multipart uploads, dry run, status
// polling, rejected rows, idempotency, cancel), saved mappings and who may change them, and
// exports in CSV, XLSX and vCard with the list filters, against the real binary. Then, on a
// database of their own, the real-world files of every kind in turn — accounts, contacts, a call
// log with Chinese headers, an ERP's orders and an ERP's order lines — with exact dry-run and
// real-run outcomes, a second run that changes nothing, and the records as the 360 views show
// them; times read in the import's time zone (API and CLI), also by a resumed run.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ROOT, assertError, assertStatus, runCli, startServer, tempDir } from './lib/server.mjs';

const DATA = path.join(ROOT, 'tests/data');
let srv;
let admin;

before(async () => {
	srv = await startServer({ env: { GUANXI_DEMO_CONTACTS: '0' } });
	admin = await srv.loginAdmin();
});

after(async () => {
	await srv.stopAndCheck();
	await srv.cleanup();
});

async function upload(query, file, contentType = 'text/csv') {
	const body = fs.readFileSync(path.join(DATA, file));
	return srv.api(admin, 'POST', `/api/v1/imports${query}`, new Uint8Array(body), { 'content-type': contentType });
}

async function finished(id) {
	for (let i = 0; i < 200; i++) {
		const job = assertStatus(await srv.api(admin, 'GET', `/api/v1/imports/${id}`), 200);
		if (!['queued', 'running', 'cancelling'].includes(job.status)) return job;
		await new Promise((r) => setTimeout(r, 50));
	}
	throw new Error(`import ${id} did not finish`);
}

test('a Salesforce export: dry run, real run, and the same file again changes nothing', async () => {
	const dry = assertStatus(await upload('?dry_run=true', 'salesforce_contacts.csv'), 202);
	assert.equal(dry.status, 'queued');
	const d = await finished(dry.id);
	assert.equal(d.status, 'done');
	assert.equal(d.kind, 'contacts');
	assert.equal(d.dry_run, true);
	assert.deepEqual([d.created, d.updated, d.duplicates, d.rejected], [3, 0, 0, 3]);
	assert.deepEqual(d.rejects, [
		{ line: 5, field: 'Mobile', message: '"12345" is not a phone number (region CN)' },
		{ line: 6, field: 'Email', message: '"not-an-email" is not an email address' },
		{ line: 7, field: 'name', message: 'name is required' },
	]);
	assert.equal(d.mapping['Mailing Zip/Postal Code'], 'postcode');
	let list = assertStatus(await srv.api(admin, 'GET', '/api/v1/contacts'), 200);
	assert.equal(list.data.length, 0, 'a dry run writes nothing');

	const real = await finished(assertStatus(await upload('', 'salesforce_contacts.csv'), 202).id);
	assert.deepEqual([real.created, real.updated, real.duplicates, real.rejected], [3, 0, 0, 3]);
	assert.equal(real.progress, 1);
	list = assertStatus(await srv.api(admin, 'GET', '/api/v1/contacts?sort=name'), 200);
	assert.deepEqual(list.data.map((c) => c.name), ['Mary Chen', 'Tony Wong', 'Wei Zhang']);
	const wei = list.data[2];
	assert.deepEqual(wei.phones.map((p) => p.e164), ['+861065529988', '+8613800138000']);
	assert.equal(wei.birthday, '1980-05-14');
	const lookup = assertStatus(await srv.api(admin, 'GET', '/api/v1/lookup/phone?number=138%200013%208000'), 200);
	assert.equal(lookup.matches[0].contact.id, wei.id, 'the caller-id index knows imported numbers');
	const search = assertStatus(await srv.api(admin, 'GET', '/api/v1/search?q=acme'), 200);
	assert.ok(search.data.some((h) => h.kind === 'contact' && h.id === wei.id), 'search documents are written');

	const again = await finished(assertStatus(await upload('', 'salesforce_contacts.csv'), 202).id);
	assert.deepEqual([again.created, again.updated, again.duplicates, again.rejected], [0, 0, 3, 3]);
});

test('a GBK file as multipart form data, encoding detected', async () => {
	const file = fs.readFileSync(path.join(DATA, 'chinese_contacts_gbk.csv'));
	const boundary = 'guanxiBoundary42';
	const head = `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="客户.csv"\r\nContent-Type: text/csv\r\n\r\n`;
	const body = Buffer.concat([Buffer.from(head), file, Buffer.from(`\r\n--${boundary}--\r\n`)]);
	const job = assertStatus(
		await srv.api(admin, 'POST', '/api/v1/imports', new Uint8Array(body), { 'content-type': `multipart/form-data; boundary=${boundary}` }),
		202,
	);
	const done = await finished(job.id);
	assert.equal(done.encoding, 'gb18030');
	assert.equal(done.filename, '客户.csv');
	assert.equal(done.mapping['手机'], 'mobile');
	assert.equal(done.mapping['公司'], 'account');
	// 张伟's mobile is Wei Zhang's from the Salesforce file: that contact is updated, not doubled.
	assert.deepEqual([done.created, done.updated, done.duplicates, done.rejected], [2, 1, 0, 0]);
	const hits = assertStatus(await srv.api(admin, 'GET', '/api/v1/search?q=zw'), 200);
	assert.ok(hits.data.some((h) => h.name === '张伟'));
});

test('bad requests: unknown type, empty body, a broken workbook', async () => {
	assertError(await upload('?type=people', 'accounts.csv'), 422, 'validation_failed', 'type');
	assertError(await srv.api(admin, 'POST', '/api/v1/imports', '', { 'content-type': 'text/csv' }), 422, 'validation_failed', 'file');
	assertError(await upload('?format=xlsx', 'accounts.csv'), 422, 'validation_failed', 'file');
	assertError(await srv.api(admin, 'GET', '/api/v1/imports/999999'), 404, 'not_found');
	assertError(await srv.api(admin, 'POST', '/api/v1/imports/999999/cancel'), 404, 'not_found');
});

test('saved mappings are listed and reused', async () => {
	const saved = assertStatus(
		await srv.api(admin, 'POST', '/api/v1/import-mappings', { name: 'erp accounts', kind: 'accounts', mapping: { 'Account Name': 'name', Description: null } }),
		201,
	);
	assert.equal(saved.kind, 'accounts');
	assertError(await srv.api(admin, 'POST', '/api/v1/import-mappings', { name: 'x', kind: 'accounts', mapping: { A: 'nope' } }), 422, 'validation_failed', 'mapping');
	const list = assertStatus(await srv.api(admin, 'GET', '/api/v1/import-mappings'), 200);
	assert.deepEqual(list.data.map((m) => m.name), ['erp accounts']);
	const done = await finished(assertStatus(await upload('?mapping=erp%20accounts', 'accounts.csv'), 202).id);
	assert.equal(done.kind, 'accounts');
	assert.equal(done.mapping.Description, null);
	assert.equal(done.rejected, 0);
});

test('saved mappings: readable by everyone, changed or deleted only by their author, a manager or an admin', async () => {
	const north = await srv.user(admin, { username: 'map.north', role: 'sales', team: 'north' });
	const south = await srv.user(admin, { username: 'map.south', role: 'sales', team: 'south' });
	const boss = await srv.user(admin, { username: 'map.boss', role: 'manager', team: 'north' });
	const mine = { 'Account Name': 'name', Description: null };
	const saved = assertStatus(await srv.api(north.token, 'POST', '/api/v1/import-mappings', { name: 'north contacts', kind: 'contacts', mapping: mine }), 201);
	assert.equal(saved.user_id, north.id, 'the author is recorded');
	const find = async (token, name) => assertStatus(await srv.api(token, 'GET', '/api/v1/import-mappings'), 200).data.find((m) => m.name === name);

	// Everyone reads it, and may import with it.
	const seen = await find(south.token, 'north contacts');
	assert.deepEqual([seen.id, seen.user_id, seen.mapping, seen.editable], [saved.id, north.id, mine, false]);
	assert.equal((await find(north.token, 'north contacts')).editable, true);
	const body = new TextEncoder().encode('Account Name,Description\r\nAcme,x\r\n');
	const preview = assertStatus(await srv.api(south.token, 'POST', '/api/v1/imports/preview?mapping=north%20contacts', body, { 'content-type': 'text/csv' }), 200);
	assert.equal(preview.mapping['Account Name'], 'name');

	// Another sales user can neither overwrite nor delete it: 403, and nothing changes.
	const e = assertError(await srv.api(south.token, 'POST', '/api/v1/import-mappings', { name: 'north contacts', kind: 'contacts', mapping: { 'Account Name': null } }), 403, 'forbidden');
	assert.equal(e.message, 'the mapping "north contacts" was saved by another user: only they, a manager or an admin may change or delete it');
	assertError(await srv.api(south.token, 'DELETE', `/api/v1/import-mappings/${saved.id}`), 403, 'forbidden');
	assert.deepEqual((await find(admin, 'north contacts')).mapping, mine);

	// The author overwrites it; a manager too; the author stays the author.
	assertStatus(await srv.api(north.token, 'POST', '/api/v1/import-mappings', { name: 'north contacts', kind: 'contacts', mapping: { 'Account Name': 'name' } }), 201);
	const byBoss = assertStatus(await srv.api(boss.token, 'POST', '/api/v1/import-mappings', { name: 'north contacts', kind: 'contacts', mapping: { 'Account Name': 'account' } }), 201);
	assert.deepEqual([byBoss.id, byBoss.user_id], [saved.id, north.id]);
	const now = await find(south.token, 'north contacts');
	assert.deepEqual([now.mapping, now.user_id], [{ 'Account Name': 'account' }, north.id]);
	assert.equal((await find(boss.token, 'north contacts')).editable, true);

	// Deleting: the author may, an admin may; an unknown id is 404.
	const south2 = assertStatus(await srv.api(south.token, 'POST', '/api/v1/import-mappings', { name: 'south contacts', kind: 'contacts', mapping: {} }), 201);
	assertError(await srv.api(north.token, 'DELETE', `/api/v1/import-mappings/${south2.id}`), 403, 'forbidden');
	assert.equal((await srv.api(south.token, 'DELETE', `/api/v1/import-mappings/${south2.id}`)).status, 204);
	assert.equal(await find(admin, 'south contacts'), undefined);
	assert.equal((await srv.api(admin, 'DELETE', `/api/v1/import-mappings/${saved.id}`)).status, 204);
	assert.equal(await find(admin, 'north contacts'), undefined);
	assertError(await srv.api(admin, 'DELETE', `/api/v1/import-mappings/${saved.id}`), 404, 'not_found');
});

test('a finished job cannot be cancelled', async () => {
	const done = await finished(assertStatus(await upload('?type=accounts', 'accounts.csv'), 202).id);
	assertError(await srv.api(admin, 'POST', `/api/v1/imports/${done.id}/cancel`), 409, 'conflict', 'status');
});

test('exports: CSV with a filter, XLSX, vCard, and headers', async () => {
	const res = await fetch(`${srv.url}/api/v1/exports/contacts?format=csv&q=acme`, { headers: { authorization: `Bearer ${admin}` } });
	assert.equal(res.status, 200);
	assert.equal(res.headers.get('content-type'), 'text/csv; charset=utf-8');
	assert.equal(res.headers.get('content-disposition'), 'attachment; filename="contacts.csv"');
	const csv = await res.text();
	const lines = csv.replace(/^\uFEFF/, '').trim().split('\r\n');
	assert.equal(lines[0], 'id,name,account,title,birthday,phones,emails,addresses,tags,consent,notes,owner,department,buying_role,reports_to,reports_to_phone,tier,created_at,updated_at');
	assert.equal(lines.length, 3, 'the two Acme contacts');
	const xlsx = await fetch(`${srv.url}/api/v1/exports/accounts?format=xlsx`, { headers: { authorization: `Bearer ${admin}` } });
	assert.equal(xlsx.headers.get('content-type'), 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
	const bytes = new Uint8Array(await xlsx.arrayBuffer());
	assert.deepEqual([...bytes.slice(0, 4)], [0x50, 0x4b, 0x03, 0x04]);
	const vcf = await fetch(`${srv.url}/api/v1/exports/contacts?format=vcf`, { headers: { authorization: `Bearer ${admin}` } });
	const text = await vcf.text();
	assert.match(text, /^BEGIN:VCARD\r\nVERSION:4\.0\r\n/);
	assert.match(text, /TEL;VALUE=uri;TYPE=cell:tel:\+8613800138000/);
	assertError(await srv.api(admin, 'GET', '/api/v1/exports/accounts?format=vcf'), 422, 'validation_failed', 'format');
	assertError(await srv.api(admin, 'GET', '/api/v1/exports/contacts?format=pdf'), 400, 'bad_request', 'format');
});

describe('real-world files of every kind into an empty database', () => {
	let erp;
	let token;
	before(async () => {
		erp = await startServer({ env: { GUANXI_DEMO_CONTACTS: '0' } });
		token = await erp.loginAdmin();
	});
	after(async () => {
		await erp.stopAndCheck();
		await erp.cleanup();
	});

	const send = async (query, file) =>
		assertStatus(await erp.api(token, 'POST', `/api/v1/imports${query}`, new Uint8Array(fs.readFileSync(path.join(DATA, file))), { 'content-type': 'text/csv' }), 202);
	async function run(query, file) {
		const queued = await send(query, file);
		for (let i = 0; i < 200; i++) {
			const job = assertStatus(await erp.api(token, 'GET', `/api/v1/imports/${queued.id}`), 200);
			if (!['queued', 'running', 'cancelling'].includes(job.status)) {
				assert.equal(job.status, 'done', job.message);
				return job;
			}
			await new Promise((r) => setTimeout(r, 50));
		}
		throw new Error(`import ${queued.id} did not finish`);
	}
	const counts = (job) => ({ created: job.created, updated: job.updated, duplicates: job.duplicates, rejected: job.rejected });
	const list = async (p) => assertStatus(await erp.api(token, 'GET', p), 200).data;
	const one = async (p) => {
		const rows = await list(p);
		assert.equal(rows.length, 1, p);
		return rows[0];
	};

	test('accounts.csv: detected as accounts; dry run, real run, the same file again', async () => {
		const dry = await run('?dry_run=true', 'accounts.csv');
		assert.equal(dry.kind, 'accounts');
		assert.deepEqual(dry.mapping, { 'Account Name': 'name', Industry: 'industry', Website: 'website', Description: 'notes' });
		assert.deepEqual(counts(dry), { created: 3, updated: 0, duplicates: 0, rejected: 0 });
		assert.deepEqual(dry.rejects, []);
		assert.deepEqual(await list('/api/v1/accounts'), [], 'a dry run writes nothing');

		const real = await run('', 'accounts.csv');
		assert.deepEqual(counts(real), { created: 3, updated: 0, duplicates: 0, rejected: 0 });
		const accounts = await list('/api/v1/accounts?sort=name');
		assert.deepEqual(
			accounts.map((a) => [a.name, a.industry, a.website, a.notes]),
			[
				['Acme Trading Co.', 'trading', 'acme.example.com', 'Key account'],
				['Pearl River Ltd', 'logistics', 'pearl.example.hk', null],
				['鑫达科技', 'technology', 'xinda.example.cn', '深圳客户'],
			],
		);

		const again = await run('', 'accounts.csv');
		assert.deepEqual(counts(again), { created: 0, updated: 0, duplicates: 3, rejected: 0 });
		assert.equal((await list('/api/v1/accounts')).length, 3);
	});

	test('the contacts the call log and the orders name', async () => {
		const done = await run('', 'chinese_contacts_utf8.csv');
		assert.deepEqual(counts(done), { created: 3, updated: 0, duplicates: 0, rejected: 0 });
		// 李娜 joins the imported 鑫达科技; 华东贸易有限公司 is made for 张伟 and 王芳.
		const xinda = await one(`/api/v1/accounts?q=${encodeURIComponent('鑫达科技')}`);
		assert.equal((await one(`/api/v1/contacts?q=${encodeURIComponent('李娜')}`)).account_id, xinda.id);
		assert.equal((await list('/api/v1/accounts')).length, 4);
	});

	test('a call log with Chinese headers: dry run, real run, again; the interactions on each 360', async () => {
		const dry = await run('?dry_run=true', 'interactions_call_log.csv');
		assert.equal(dry.kind, 'interactions', 'detected from the headers');
		assert.deepEqual(dry.mapping, {
			记录编号: 'external_id',
			日期: 'occurred_at',
			客户: 'contact',
			联系电话: 'contact_phone',
			邮箱: 'contact_email',
			沟通方式: 'channel',
			方向: 'direction',
			主题: 'subject',
			内容: 'body',
			结果: 'outcome',
			通话时长: 'duration_s',
		});
		assert.deepEqual(counts(dry), { created: 5, updated: 0, duplicates: 0, rejected: 3 });
		assert.deepEqual(dry.rejects, [
			{ line: 6, field: '联系电话', message: 'no contact "186 0000 9999"' },
			{ line: 8, field: '沟通方式', message: '"传真" is not a channel (phone, email, chat, sms, web, visit, meeting, social, forum)' },
			{ line: 9, field: '方向', message: 'direction is required: inbound or outbound (呼入, 呼出)' },
		]);
		assert.deepEqual(await list('/api/v1/interactions'), [], 'a dry run writes nothing');

		const real = await run('', 'interactions_call_log.csv');
		assert.deepEqual(counts(real), { created: 5, updated: 0, duplicates: 0, rejected: 3 });
		assert.deepEqual(real.rejects, dry.rejects);

		const pick = (i) => [i.channel, i.direction, i.occurred_at, i.duration_s, i.subject, i.outcome];
		const zw = await one(`/api/v1/contacts?q=${encodeURIComponent('张伟')}`);
		const zw360 = assertStatus(await erp.api(token, 'GET', `/api/v1/contacts/${zw.id}/360`), 200);
		assert.equal(real.timezone, 'Asia/Shanghai', 'the default zone (the timezone setting)');
		// The log's times are Beijing wall-clock times: 09:15 there is 01:15 UTC.
		assert.deepEqual(zw360.interactions.map(pick), [
			['phone', 'outbound', '2025-03-07T03:00:00Z', 330, '跟进', null],
			['phone', 'inbound', '2025-03-03T01:15:00Z', 372, '询价：空气净化器', '已报价'],
		]);
		assert.ok(zw360.interactions.every((i) => i.account_id === zw.account_id), 'on the contact’s account too');
		assert.equal(zw360.figures.interaction_count, 2);
		assert.equal(zw360.figures.first_contact_at, '2025-03-03T01:15:00Z');
		assert.equal(zw360.figures.last_contact_at, '2025-03-07T03:00:00Z');
		const ln = await one(`/api/v1/contacts?q=${encodeURIComponent('李娜')}`);
		const ln360 = assertStatus(await erp.api(token, 'GET', `/api/v1/contacts/${ln.id}/360`), 200);
		assert.deepEqual(ln360.interactions.map(pick), [
			['visit', 'outbound', '2025-03-05T00:00:00Z', null, '上门拜访', '安排试用'], // a date alone: midnight UTC
			['email', 'outbound', '2025-03-04T06:30:00Z', null, '报价单', null],
		]);
		const wf = await one(`/api/v1/contacts?q=${encodeURIComponent('王芳')}`);
		const wf360 = assertStatus(await erp.api(token, 'GET', `/api/v1/contacts/${wf.id}/360`), 200);
		assert.deepEqual(wf360.interactions.map(pick), [['chat', 'inbound', '2025-03-06T02:00:00Z', null, '对账', '已处理']]);

		const again = await run('', 'interactions_call_log.csv');
		assert.deepEqual(counts(again), { created: 0, updated: 0, duplicates: 5, rejected: 3 });
		assert.equal((await list('/api/v1/interactions?limit=100')).length, 5);
		assert.equal(assertStatus(await erp.api(token, 'GET', `/api/v1/contacts/${zw.id}/360`), 200).figures.interaction_count, 2);
	});

	test('an ERP’s orders: dry run, real run, again; revenue and margin on the 360s', async () => {
		const dry = await run('?dry_run=true', 'orders_erp_export.csv');
		assert.equal(dry.kind, 'orders', 'detected from the headers');
		assert.deepEqual(dry.mapping, {
			销售单号: 'external_ref',
			单据日期: 'ordered_at',
			客户名称: 'account',
			联系人: 'contact',
			联系电话: 'contact_phone',
			币别: 'currency',
			价税合计: 'amount',
			成本金额: 'cost',
			单据状态: 'status',
			备注: null,
		});
		assert.deepEqual(counts(dry), { created: 4, updated: 0, duplicates: 0, rejected: 3 });
		assert.deepEqual(dry.rejects, [
			{ line: 6, field: '客户名称', message: 'no account "明远贸易"' },
			{ line: 7, field: '价税合计', message: '"待定" is not an amount of money' },
			{ line: 8, field: '单据日期', message: '"2025-02-30" is not a date and time' },
		]);
		assert.deepEqual(await list('/api/v1/orders'), [], 'a dry run writes nothing');

		const real = await run('', 'orders_erp_export.csv');
		assert.deepEqual(counts(real), { created: 4, updated: 0, duplicates: 0, rejected: 3 });
		const orders = await list('/api/v1/orders?sort=ordered_at');
		assert.deepEqual(
			orders.map((o) => [o.external_ref, o.source, o.ordered_at, o.amount, o.cost, o.currency, o.status]),
			[
				['XS-2025-0101', 'import', '2025-03-03T00:00:00Z', '12800.00', '9600.00', 'CNY', 'completed'],
				['XS-2025-0102', 'import', '2025-03-10T00:00:00Z', '5600.50', null, 'CNY', 'completed'],
				['XS-2025-0103', 'import', '2025-03-15T00:00:00Z', '1250.00', '800.00', 'USD', 'open'],
				['XS-2025-0104', 'import', '2025-03-18T00:00:00Z', '-800.00', null, 'CNY', 'returned'],
			],
		);

		const huadong = await one(`/api/v1/accounts?q=${encodeURIComponent('华东贸易')}`);
		const figures = async (p) => assertStatus(await erp.api(token, 'GET', p), 200).figures;
		const money = (f) => [f.order_count, f.lifetime_revenue, f.lifetime_margin, f.currency, f.last_order_at];
		// Revenue: completed orders in CNY only (not the open USD order, not the return).
		assert.deepEqual(money(await figures(`/api/v1/accounts/${huadong.id}/360`)), [3, '12800.00', '3200.00', 'CNY', '2025-03-18T00:00:00Z']);
		const zw = await one(`/api/v1/contacts?q=${encodeURIComponent('张伟')}`);
		const zw360 = assertStatus(await erp.api(token, 'GET', `/api/v1/contacts/${zw.id}/360`), 200);
		assert.deepEqual(money(zw360.figures), [2, '12800.00', '3200.00', 'CNY', '2025-03-18T00:00:00Z']);
		assert.deepEqual(
			zw360.orders.map((o) => o.external_ref),
			['XS-2025-0104', 'XS-2025-0101'],
		);
		const xinda = await one(`/api/v1/accounts?q=${encodeURIComponent('鑫达科技')}`);
		assert.deepEqual(money(await figures(`/api/v1/accounts/${xinda.id}/360`)), [1, '5600.50', '0.00', 'CNY', '2025-03-10T00:00:00Z']);

		const again = await run('', 'orders_erp_export.csv');
		assert.deepEqual(counts(again), { created: 0, updated: 0, duplicates: 4, rejected: 3 });
		assert.equal((await list('/api/v1/orders')).length, 4);
		assert.deepEqual(money(await figures(`/api/v1/accounts/${huadong.id}/360`)), [3, '12800.00', '3200.00', 'CNY', '2025-03-18T00:00:00Z']);
	});

	test('an ERP’s order lines (GBK, one row per line): one order per number, lines on the order, revenue on the 360s', async () => {
		const dry = await run('?dry_run=true', 'orders_erp_lines.csv');
		assert.equal(dry.kind, 'orders', 'detected from the headers');
		assert.equal(dry.encoding, 'gb18030');
		assert.deepEqual(dry.mapping, {
			单据编号: 'external_ref',
			单据日期: 'ordered_at',
			客户名称: 'account',
			联系电话: 'contact_phone',
			币别: 'currency',
			物料编码: 'sku',
			物料名称: 'product',
			数量: 'qty',
			含税单价: 'unit_price',
			成本单价: 'unit_cost',
			单据状态: 'status',
			备注: null,
		});
		// 12 rows, 5 orders: the counts are orders.
		assert.equal(dry.rows_total, 5);
		assert.deepEqual(counts(dry), { created: 3, updated: 0, duplicates: 0, rejected: 2 });
		assert.deepEqual(dry.rejects, [
			{ line: 7, field: '单据日期', message: 'order XS-2025-0303: "2025-03-09" here but "2025-03-08" on line 6' },
			{ line: 13, field: '数量', message: '"两个" is not a quantity (a whole number above 0)' },
		]);
		assert.equal((await list('/api/v1/orders?limit=100')).length, 4, 'a dry run writes nothing (the four of the ERP file)');

		const real = await run('', 'orders_erp_lines.csv');
		assert.deepEqual(counts(real), { created: 3, updated: 0, duplicates: 0, rejected: 2 });
		assert.deepEqual(real.rejects, dry.rejects);
		const o1 = await one('/api/v1/orders?external_ref=XS-2025-0301');
		assert.deepEqual([o1.ordered_at, o1.amount, o1.cost, o1.currency, o1.status, o1.source], ['2025-03-03T00:00:00Z', '3397.00', '2000.00', 'CNY', 'completed', 'import']);
		assert.deepEqual(o1.lines, [
			{ sku: 'AP-100', name: '空气净化器 AP100', qty: 2, unit_price: '1299.00' },
			{ sku: 'FL-20', name: '滤网 FL20', qty: 10, unit_price: '59.90' },
			{ sku: 'SV-1', name: '上门安装', qty: 1, unit_price: '200.00' },
		]);
		const o4 = await one('/api/v1/orders?external_ref=XS-2025-0304');
		assert.deepEqual([o4.amount, o4.cost, o4.status, o4.lines.length], ['1793.00', null, 'open', 4]);
		assert.deepEqual(await list('/api/v1/orders?external_ref=XS-2025-0303'), [], 'a contradicted order is not written at all');
		assert.deepEqual(await list('/api/v1/orders?external_ref=XS-2025-0305'), []);

		const figures = async (p) => assertStatus(await erp.api(token, 'GET', p), 200).figures;
		const money = (f) => [f.order_count, f.lifetime_revenue, f.lifetime_margin, f.currency, f.last_order_at];
		const huadong = await one(`/api/v1/accounts?q=${encodeURIComponent('华东贸易')}`);
		// 12,800.00 of the ERP file plus XS-2025-0301 (3,397.00, margin 1,397.00).
		assert.deepEqual(money(await figures(`/api/v1/accounts/${huadong.id}/360`)), [4, '16197.00', '4597.00', 'CNY', '2025-03-18T00:00:00Z']);
		const zw = await one(`/api/v1/contacts?q=${encodeURIComponent('张伟')}`);
		const zw360 = assertStatus(await erp.api(token, 'GET', `/api/v1/contacts/${zw.id}/360`), 200);
		assert.deepEqual(money(zw360.figures), [3, '16197.00', '4597.00', 'CNY', '2025-03-18T00:00:00Z']);
		assert.ok(zw360.orders.some((o) => o.external_ref === 'XS-2025-0301'));
		const xinda = await one(`/api/v1/accounts?q=${encodeURIComponent('鑫达科技')}`);
		// 5,600.50 plus XS-2025-0302 (2,499.00, margin 999.00); the open XS-2025-0304 is no revenue.
		assert.deepEqual(money(await figures(`/api/v1/accounts/${xinda.id}/360`)), [3, '8099.50', '999.00', 'CNY', '2025-03-12T00:00:00Z']);

		const again = await run('', 'orders_erp_lines.csv');
		assert.deepEqual(counts(again), { created: 0, updated: 0, duplicates: 3, rejected: 2 });
		assert.equal((await list('/api/v1/orders?limit=100')).length, 7);
		assert.deepEqual((await one('/api/v1/orders?external_ref=XS-2025-0301')).lines, o1.lines);
	});

	test('times without an offset in the zone the import names: Asia/Shanghai, New York in July and January, an unknown zone', async () => {
		const csv = { 'content-type': 'text/csv' };
		const body = new TextEncoder().encode(
			'时间,手机,渠道,方向,主题\r\n' +
				'2025-07-01 09:15,13800138000,电话,呼入,tz-july\r\n' +
				'2025-01-15 09:15,13800138000,电话,呼入,tz-january\r\n' +
				'2025-07-01T09:15:00Z,13800138000,电话,呼入,tz-z\r\n',
		);
		const poll = async (id) => {
			for (let i = 0; i < 200; i++) {
				const job = assertStatus(await erp.api(token, 'GET', `/api/v1/imports/${id}`), 200);
				if (!['queued', 'running', 'cancelling'].includes(job.status)) return job;
				await new Promise((r) => setTimeout(r, 50));
			}
			throw new Error(`import ${id} did not finish`);
		};

		const preview = assertStatus(await erp.api(token, 'POST', '/api/v1/imports/preview?timezone=America/New_York', body, csv), 200);
		assert.equal(preview.timezone, 'America/New_York');
		const ny = await poll(assertStatus(await erp.api(token, 'POST', '/api/v1/imports?timezone=America/New_York', body, csv), 202).id);
		assert.equal(ny.status, 'done', ny.message);
		assert.equal(ny.timezone, 'America/New_York');
		assert.deepEqual(counts(ny), { created: 3, updated: 0, duplicates: 0, rejected: 0 });
		const rows = (await list('/api/v1/interactions?limit=100')).filter((i) => i.subject?.startsWith('tz-'));
		const bySubject = Object.fromEntries(rows.map((i) => [i.subject, i.occurred_at]));
		assert.deepEqual(bySubject, {
			'tz-july': '2025-07-01T13:15:00Z', // EDT, UTC-4
			'tz-january': '2025-01-15T14:15:00Z', // EST, UTC-5
			'tz-z': '2025-07-01T09:15:00Z', // an explicit Z keeps it
		});

		// The same file read as Beijing times: other instants, so other interactions.
		const sh = await poll(assertStatus(await erp.api(token, 'POST', '/api/v1/imports?timezone=Asia/Shanghai', body, csv), 202).id);
		assert.equal(sh.timezone, 'Asia/Shanghai');
		assert.deepEqual(counts(sh), { created: 2, updated: 0, duplicates: 1, rejected: 0 });
		const july = (await list('/api/v1/interactions?limit=100')).filter((i) => i.subject === 'tz-july').map((i) => i.occurred_at).sort();
		assert.deepEqual(july, ['2025-07-01T01:15:00Z', '2025-07-01T13:15:00Z']);

		for (const p of ['/api/v1/imports', '/api/v1/imports/preview']) {
			const e = assertError(await erp.api(token, 'POST', `${p}?timezone=Mars/Olympus_Mons`, body, csv), 422, 'validation_failed', 'timezone');
			assert.equal(e.message, '"Mars/Olympus_Mons" is not a time zone; use an IANA name such as Asia/Shanghai or America/New_York');
		}
		assertError(await erp.api(token, 'POST', '/api/v1/imports?timezone=GMT%2B8', body, csv), 422, 'validation_failed', 'timezone');
	});

	test('guanxi import --timezone: New York times; an unknown zone exits 3 with a message', async () => {
		const dir = tempDir();
		const db = path.join(dir, 'cli.db');
		const file = path.join(dir, 'calls.csv');
		fs.writeFileSync(file, 'name,mobile\n张伟,13800138000\n');
		assert.equal((await runCli(['import', file, '--db', db])).code, 0);
		fs.writeFileSync(file, 'time,phone,channel,direction,subject\n2025-07-01 09:15,13800138000,call,in,cli-july\n');
		const bad = await runCli(['import', file, '--type', 'interactions', '--timezone', 'Mars/Olympus_Mons', '--db', db]);
		assert.equal(bad.code, 3, bad.stderr);
		assert.match(bad.stderr, /"Mars\/Olympus_Mons" is not a time zone; use an IANA name such as Asia\/Shanghai/);
		const ok = await runCli(['import', file, '--type', 'interactions', '--timezone', 'America/New_York', '--format', 'json', '--db', db]);
		assert.equal(ok.code, 0, ok.stderr);
		const report = JSON.parse(ok.stdout);
		assert.equal(report.timezone, 'America/New_York');
		assert.equal(report.created, 1);
		const dflt = await runCli(['import', file, '--type', 'interactions', '--format', 'json', '--db', db]);
		assert.equal(JSON.parse(dflt.stdout).timezone, 'Asia/Shanghai', 'the default: the timezone setting');
		const env = await runCli(['import', file, '--type', 'interactions', '--dry-run', '--format', 'json', '--db', db], { env: { GUANXI_TIMEZONE: 'Europe/London' } });
		assert.equal(JSON.parse(env.stdout).timezone, 'Europe/London', 'GUANXI_TIMEZONE');
		const badEnv = await runCli(['import', file, '--db', db], { env: { GUANXI_TIMEZONE: 'Nowhere' } });
		assert.equal(badEnv.code, 2);
		assert.match(badEnv.stderr, /bad value for timezone: 'Nowhere'/);
		const exported = await runCli(['export', '--type', 'interactions', '--db', db]);
		const times = exported.stdout.split('\n').filter((l) => l.includes('cli-july')).map((l) => l.match(/2025-07-01T\d\d:\d\d:\d\dZ/)[0]).sort();
		assert.deepEqual(times, ['2025-07-01T01:15:00Z', '2025-07-01T13:15:00Z']);
		fs.rmSync(dir, { recursive: true, force: true });
	});

	test('guanxi import resuming an unfinished job reads times in its zone; another --timezone exits 3', async () => {
		const dir = tempDir();
		const db = path.join(dir, 'resume.db');
		const file = path.join(dir, 'calls.csv');
		fs.writeFileSync(file, 'name,mobile\n张伟,13800138000\n');
		assert.equal((await runCli(['import', file, '--db', db])).code, 0);
		fs.writeFileSync(file, 'time,phone,channel,direction,subject\n2025-07-01 09:15,13800138000,call,in,resume-a\n2025-07-01 10:15,13800138000,call,in,resume-b\n');
		const first = await runCli(['import', file, '--type', 'interactions', '--timezone', 'America/New_York', '--batch', '1', '--format', 'json', '--db', db]);
		assert.equal(first.code, 0, first.stderr);
		const job = JSON.parse(first.stdout);
		// As if stopped after its first batch (Ctrl-C, a crash): the job row says one row done.
		execFileSync('sqlite3', [db, `UPDATE imports SET status = 'cancelled', rows_done = 1 WHERE id = ${job.id}`]);
		const other = await runCli(['import', file, '--type', 'interactions', '--timezone', 'Asia/Shanghai', '--db', db]);
		assert.equal(other.code, 3, other.stderr);
		assert.ok(
			other.stderr.includes(`this file's unfinished import ${job.id} reads times in America/New_York: it resumes in that zone, not in Asia/Shanghai (give no time zone, or America/New_York, or --restart for a new import) — timezone`),
			other.stderr,
		);
		const resumed = await runCli(['import', file, '--type', 'interactions', '--format', 'json', '--db', db], { env: { GUANXI_TIMEZONE: 'Europe/London' } });
		assert.equal(resumed.code, 0, resumed.stderr);
		const report = JSON.parse(resumed.stdout);
		assert.deepEqual([report.id, report.status, report.timezone, report.rows_done], [job.id, 'done', 'America/New_York', 2]);
		const exported = await runCli(['export', '--type', 'interactions', '--db', db]);
		const times = exported.stdout.split('\n').filter((l) => l.includes('resume-')).map((l) => l.match(/2025-07-01T\d\d:\d\d:\d\dZ/)[0]).sort();
		assert.deepEqual(times, ['2025-07-01T13:15:00Z', '2025-07-01T14:15:00Z'], 'row b read again in New York: the same interaction');
		fs.rmSync(dir, { recursive: true, force: true });
	});

	test('guanxi import --restart starts a new job instead of resuming; the stopped one is never resumed after it', async () => {
		const dir = tempDir();
		const db = path.join(dir, 'restart.db');
		const file = path.join(dir, 'calls.csv');
		fs.writeFileSync(file, 'name,mobile\n张伟,13800138000\n');
		assert.equal((await runCli(['import', file, '--db', db])).code, 0);
		fs.writeFileSync(file, 'time,phone,channel,direction,subject\n2025-07-01 09:15,13800138000,call,in,restart-a\n2025-07-01 10:15,13800138000,call,in,restart-b\n');
		const json = async (...args) => {
			const r = await runCli(['import', file, '--type', 'interactions', '--format', 'json', '--db', db, ...args]);
			assert.equal(r.code, 0, r.stderr);
			return JSON.parse(r.stdout);
		};
		const first = await json('--timezone', 'America/New_York', '--batch', '1');
		execFileSync('sqlite3', [db, `UPDATE imports SET status = 'cancelled', rows_done = 1 WHERE id = ${first.id}`]);
		const restarted = await json('--restart', '--timezone', 'Asia/Shanghai');
		assert.notEqual(restarted.id, first.id);
		assert.deepEqual([restarted.status, restarted.timezone, restarted.rows_done], ['done', 'Asia/Shanghai', 2]);
		const again = await json();
		assert.ok(![first.id, restarted.id].includes(again.id), 'a new job: the latest run of the file is finished');
		assert.deepEqual([again.status, again.created, again.duplicates], ['done', 0, 2]);
		fs.rmSync(dir, { recursive: true, force: true });
	});

	test('a date column no one would guess: proposed unmapped, refused as an import, imported with a saved mapping', async () => {
		const body = new TextEncoder().encode('单号,交易发生于,公司,金额\r\nXS-2025-0201,2025-04-01,鑫达科技,300.00\r\n');
		const csv = { 'content-type': 'text/csv' };
		const preview = assertStatus(await erp.api(token, 'POST', '/api/v1/imports/preview', body, csv), 200);
		assert.equal(preview.kind, 'orders');
		assert.deepEqual(preview.mapping, { 单号: 'external_ref', 交易发生于: null, 公司: 'account', 金额: 'amount' });
		const refused = assertError(await erp.api(token, 'POST', '/api/v1/imports', body, csv), 422, 'validation_failed', 'mapping');
		assert.equal(refused.message, 'no column is mapped to ordered_at, which orders need');
		assertStatus(await erp.api(token, 'POST', '/api/v1/import-mappings', { name: 'ERP 订单', kind: 'orders', mapping: { 交易发生于: 'ordered_at' } }), 201);
		const applied = assertStatus(await erp.api(token, 'POST', `/api/v1/imports/preview?mapping=${encodeURIComponent('ERP 订单')}`, body, csv), 200);
		assert.equal(applied.mapping['交易发生于'], 'ordered_at');
		const queued = assertStatus(await erp.api(token, 'POST', `/api/v1/imports?mapping=${encodeURIComponent('ERP 订单')}`, body, csv), 202);
		let job;
		for (let i = 0; i < 200 && (!job || ['queued', 'running'].includes(job.status)); i++) {
			if (job) await new Promise((r) => setTimeout(r, 50));
			job = assertStatus(await erp.api(token, 'GET', `/api/v1/imports/${queued.id}`), 200);
		}
		assert.equal(job.status, 'done');
		assert.deepEqual(counts(job), { created: 1, updated: 0, duplicates: 0, rejected: 0 });
		assert.equal((await one('/api/v1/orders?external_ref=XS-2025-0201')).ordered_at, '2025-04-01T00:00:00Z');
	});
});
