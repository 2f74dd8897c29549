// imports.test.mjs — imports as background jobs (raw and multipart uploads, dry run, status
// polling, rejected rows, idempotency, cancel), saved mappings, and exports in CSV, XLSX and
// vCard with the list filters, against the real binary. Then, on a database of their own, the
// real-world files of every kind in turn — accounts, contacts, a call log with Chinese headers,
// an ERP's orders — with exact dry-run and real-run outcomes, a second run that changes
// nothing, and the records as the 360 views show them.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ROOT, assertError, assertStatus, startServer } from './lib/server.mjs';

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
	assert.equal(lines[0], 'id,name,account,title,birthday,phones,emails,addresses,tags,consent,notes,owner,tier,created_at,updated_at');
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
		assert.deepEqual(zw360.interactions.map(pick), [
			['phone', 'outbound', '2025-03-07T11:00:00Z', 330, '跟进', null],
			['phone', 'inbound', '2025-03-03T09:15:00Z', 372, '询价：空气净化器', '已报价'],
		]);
		assert.ok(zw360.interactions.every((i) => i.account_id === zw.account_id), 'on the contact’s account too');
		assert.equal(zw360.figures.interaction_count, 2);
		assert.equal(zw360.figures.first_contact_at, '2025-03-03T09:15:00Z');
		assert.equal(zw360.figures.last_contact_at, '2025-03-07T11:00:00Z');
		const ln = await one(`/api/v1/contacts?q=${encodeURIComponent('李娜')}`);
		const ln360 = assertStatus(await erp.api(token, 'GET', `/api/v1/contacts/${ln.id}/360`), 200);
		assert.deepEqual(ln360.interactions.map(pick), [
			['visit', 'outbound', '2025-03-05T00:00:00Z', null, '上门拜访', '安排试用'],
			['email', 'outbound', '2025-03-04T14:30:00Z', null, '报价单', null],
		]);
		const wf = await one(`/api/v1/contacts?q=${encodeURIComponent('王芳')}`);
		const wf360 = assertStatus(await erp.api(token, 'GET', `/api/v1/contacts/${wf.id}/360`), 200);
		assert.deepEqual(wf360.interactions.map(pick), [['chat', 'inbound', '2025-03-06T10:00:00Z', null, '对账', '已处理']]);

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
