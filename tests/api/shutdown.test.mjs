// shutdown.test.mjs — graceful stop: a request in flight when SIGTERM arrives still completes
// (200) and is committed, the process exits 0, and a restart on the same database has the data.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { ADMIN_PASSWORD, Server, assertNoSanitizerReport, assertStatus } from './lib/server.mjs';

let first;
let second;
let third;
after(async () => {
	await third?.cleanup({ keepDir: true });
	await second?.cleanup({ keepDir: true });
	await first?.cleanup();
});

const N = 2000;

test('SIGTERM during a bulk import of 2000 orders: the request completes with 200, the server exits 0, the data survives a restart', async () => {
	first = new Server();
	await first.start();
	const admin = await first.loginAdmin();
	const acc = assertStatus(await first.api(admin, 'POST', '/api/v1/accounts', { name: '停机测试有限公司' }), 201);
	const orders = Array.from({ length: N }, (_, i) => ({
		account_id: acc.id,
		ordered_at: '2026-05-01T08:00:00Z',
		amount: '10.50',
		source: 'erp',
		external_ref: `SHUT-${i}`,
	}));

	let killedAt = 0;
	const reply = first.httpRequest('POST', '/api/v1/orders/bulk', {
		token: admin,
		body: { orders },
		onSent: () => {
			// the whole body is on its way; let the server start on it, then ask it to stop
			setTimeout(() => {
				killedAt = Date.now();
				first.proc.kill('SIGTERM');
			}, 50);
		},
	});
	const r = await reply;
	const repliedAt = Date.now();
	assert.equal(r.status, 200, r.text);
	assert.equal(r.body.created, N);
	assert.equal(r.body.ids.length, N);
	assert.ok(killedAt > 0 && repliedAt > killedAt, 'SIGTERM was sent while the request was in flight');

	const stopped = await first.stop();
	assert.equal(stopped.timedOut, false, 'the server stopped within 10 s of SIGTERM');
	assertNoSanitizerReport(stopped.stderr, 'guanxi serve');
	assert.equal(stopped.signal, null);
	assert.equal(stopped.code, 0, stopped.stderr);
	assert.match(stopped.stderr, /stopped cleanly/);

	// same directory, same database
	second = new Server({ dir: first.dir, db: first.db });
	await second.start();
	assert.ok(!second.stdout.includes('Created user admin'), 'the admin exists already');
	const token = await second.login('admin', ADMIN_PASSWORD);
	const v = assertStatus(await second.api(token, 'GET', `/api/v1/accounts/${acc.id}/360`), 200);
	assert.equal(v.account.name, '停机测试有限公司');
	assert.equal(v.figures.order_count, N);
	assert.equal(v.figures.lifetime_revenue, (N * 10.5).toFixed(2));
	const last = assertStatus(await second.api(token, 'GET', `/api/v1/orders?source=erp&external_ref=SHUT-${N - 1}`), 200);
	assert.equal(last.data.length, 1);
	assert.equal(last.data[0].id, r.body.ids[N - 1]);
	const audit = assertStatus(await second.api(token, 'GET', `/api/v1/audit?entity=order&id=${r.body.ids[0]}`), 200);
	assert.deepEqual(audit.data.map((a) => a.action), ['create']);
});

test('SIGTERM on an idle server stops it at once; SIGINT too', async () => {
	const t0 = Date.now();
	await second.stopAndCheck();
	assert.ok(Date.now() - t0 < 5000, 'an idle server stops quickly');
	third = new Server({ dir: first.dir, db: first.db });
	await third.start();
	assert.equal((await third.request('GET', '/api/v1/health')).status, 200);
	const r = await third.stop(10000, 'SIGINT');
	assert.equal(r.timedOut, false);
	assertNoSanitizerReport(r.stderr, 'guanxi serve');
	assert.equal(r.code, 0, r.stderr);
});
