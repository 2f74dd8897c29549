// durability.test.mjs — a reply of success means the data is on disk: contacts created one by
// one while the server runs are all there after a SIGKILL (no chance to flush or close) and a
// restart on the same database, and the database passes SQLite's integrity check.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, test } from 'node:test';
import { ADMIN_PASSWORD, Server, assertStatus } from './lib/server.mjs';

let first;
let second;
after(async () => {
	await second?.cleanup({ keepDir: true });
	await first?.cleanup();
});

test('every acknowledged write survives kill -9', async () => {
	first = new Server();
	await first.start();
	const admin = await first.loginAdmin();
	const ids = [];
	// Writes in flight when the kill lands may or may not be there; acknowledged ones must be.
	const writes = Array.from({ length: 8 }, async (_, w) => {
		for (let i = 0; i < 25; i++) {
			const c = assertStatus(
				await first.api(admin, 'POST', '/api/v1/contacts', { name: `持久${w}-${i}`, phones: [{ kind: 'mobile', number: `1380013${String(w * 100 + i).padStart(4, '0')}` }] }),
				201,
			);
			ids.push(c.id);
		}
	});
	await Promise.all(writes);
	first.proc.kill('SIGKILL');
	const stopped = await first.stop();
	assert.equal(stopped.signal, 'SIGKILL');

	assert.equal(execFileSync('sqlite3', [first.db, 'PRAGMA integrity_check'], { encoding: 'utf8' }).trim(), 'ok');
	second = new Server({ dir: first.dir, db: first.db });
	await second.start();
	const token = await second.login('admin', ADMIN_PASSWORD);
	for (const id of ids) assertStatus(await second.api(token, 'GET', `/api/v1/contacts/${id}`), 200);
	const found = assertStatus(await second.api(token, 'GET', '/api/v1/lookup/phone?number=%2B86%20138-0013-0724'), 200);
	assert.equal(found.matches.length, 1, 'the caller-id index came through too');
	assert.equal(found.matches[0].contact.name, '持久7-24');
});
