// imports.test.mjs — imports as background jobs (raw and multipart uploads, dry run, status
// polling, rejected rows, idempotency, cancel), saved mappings, and exports in CSV, XLSX and
// vCard with the list filters, against the real binary.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
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
