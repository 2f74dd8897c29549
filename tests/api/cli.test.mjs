// cli.test.mjs — the command line against a database a running server uses: help and exit codes
// (0 ok, 1 nothing found, 2 usage, 3 invalid input, 4 database failure), lookup, search, users,
// online backup and migrate.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { PASSWORD, assertError, assertStatus, runCli, startServer } from './lib/server.mjs';

let srv;
let admin;
let db;
let zhang; // contact 张伟

before(async () => {
	srv = await startServer();
	db = srv.db;
	admin = await srv.loginAdmin();
	const acc = assertStatus(await srv.api(admin, 'POST', '/api/v1/accounts', { name: '北京华信科技有限公司' }), 201);
	zhang = assertStatus(
		await srv.api(admin, 'POST', '/api/v1/contacts', {
			name: '张伟',
			account_id: acc.id,
			title: '采购经理',
			phones: [{ kind: 'mobile', number: '138 0013 8000' }],
			emails: [{ address: 'zhang.wei@huaxin.example.cn' }],
		}),
		201,
	);
	assertStatus(await srv.api(admin, 'POST', '/api/v1/interactions', { contact_id: zhang.id, channel: 'phone', direction: 'inbound', occurred_at: '2026-11-20T06:30:00Z' }), 201);
	assertStatus(await srv.api(admin, 'POST', '/api/v1/orders', { contact_id: zhang.id, ordered_at: '2026-11-21T02:00:00Z', amount: '1299.00', cost: '800.00' }), 201);
});
after(() => srv?.cleanup());

const cli = (...args) => runCli(args);

test('help: --help, help and per-command --help exit 0; no command or an unknown one exits 2', async () => {
	for (const args of [['--help'], ['help'], ['-h']]) {
		const r = await cli(...args);
		assert.equal(r.code, 0, args.join(' '));
		assert.match(r.stdout, /Usage:/);
		for (const c of ['serve', 'user add', 'lookup', 'search', 'backup', 'migrate']) assert.ok(r.stdout.includes(`guanxi ${c}`), `help lists ${c}`);
		assert.match(r.stdout, /Exit codes/);
	}
	const sub = await cli('lookup', '--help');
	assert.equal(sub.code, 0);
	assert.match(sub.stdout, /Usage: guanxi lookup NUMBER/);
	const none = await cli();
	assert.equal(none.code, 2);
	assert.match(none.stderr, /Usage:/);
	const unknown = await cli('frobnicate');
	assert.equal(unknown.code, 2);
	assert.match(unknown.stderr, /unknown command "frobnicate"/);
	assert.equal((await cli('lookup', '--db')).code, 2, 'a flag without its value');
	assert.equal((await cli('lookup', '--db', db)).code, 2, 'lookup without a number');
	assert.equal((await cli('lookup', '1', '2', '--db', db)).code, 2, 'lookup with two numbers');
	assert.equal((await cli('serve', 'extra', '--db', db)).code, 2);
	assert.equal((await cli('search', '张伟', '--limit', '0', '--db', db)).code, 2);
	assert.equal((await cli('search', '张伟', '--limit', 'x', '--db', db)).code, 2);
	assert.equal((await cli('user', '--db', db)).code, 2);
	assert.equal((await cli('user', 'delete', 'x', '--db', db)).code, 2);
	assert.equal((await cli('lookup', '13800138000', '--db', db, '--region', 'China')).code, 2, 'a bad setting');
});

test('lookup: prints the caller (name, company, figures) and exits 0; unknown exits 1; garbage exits 3', async () => {
	for (const number of ['+86 138-0013-8000', '138 0013 8000', '１３８００１３８０００']) {
		const r = await cli('lookup', number, '--db', db);
		assert.equal(r.code, 0, `${number}: ${r.stderr}`);
		assert.match(r.stdout, /张伟/);
		assert.match(r.stdout, /北京华信科技有限公司/);
		assert.match(r.stdout, /\+8613800138000/);
		assert.match(r.stdout, /interactions: 1/);
		assert.match(r.stdout, /1299\.00 CNY/);
	}
	const json = await cli('lookup', '13800138000', '--db', db, '--format', 'json');
	assert.equal(json.code, 0);
	const out = JSON.parse(json.stdout);
	assert.equal(out.number, '+8613800138000');
	assert.equal(out.matches[0].contact.id, zhang.id);
	assert.equal(out.matches[0].summary.lifetime_margin, '499.00');
	const unknown = await cli('lookup', '139 0000 0000', '--db', db);
	assert.equal(unknown.code, 1);
	assert.equal(unknown.stdout, '');
	assert.match(unknown.stderr, /\+8613900000000/);
	const garbage = await cli('lookup', 'not-a-number', '--db', db);
	assert.equal(garbage.code, 3);
});

test('search: finds by name, pinyin and phone and exits 0; nothing exits 1', async () => {
	for (const q of ['张伟', 'zw', 'zhangwei', '華信', '13800138000']) {
		const r = await cli('search', q, '--db', db);
		assert.equal(r.code, 0, `${q}: ${r.stderr}`);
		assert.match(r.stdout, /张伟/, q);
	}
	const both = await cli('search', '华信', '--db', db);
	assert.match(both.stdout, /^account\s+\d+\s+北京华信科技有限公司$/m);
	assert.match(both.stdout, /^contact\s+\d+\s+张伟 \(北京华信科技有限公司\)$/m);
	const none = await cli('search', '不存在的人', '--db', db);
	assert.equal(none.code, 1);
	assert.equal(none.stdout, '');
	assert.match(none.stderr, /nothing matches/);
});

test('user add, list and passwd work on the live database; the new user signs in over HTTP', async () => {
	const add = await runCli(['user', 'add', 'cli.sales', '--role', 'sales', '--team', 'north', '--display-name', '命令行用户', '--db', db], { env: { GUANXI_PASSWORD: PASSWORD } });
	assert.equal(add.code, 0, add.stderr);
	assert.match(add.stdout, /created user cli\.sales \(id \d+\)/);
	assert.ok(!add.stdout.includes(PASSWORD) && !add.stderr.includes(PASSWORD), 'the password is not printed');
	const token = await srv.login('cli.sales', PASSWORD);
	const me = assertStatus(await srv.api(token, 'GET', '/api/v1/me'), 200);
	assert.deepEqual([me.role, me.team, me.display_name], ['sales', 'north', '命令行用户']);

	const fromStdin = await runCli(['user', 'add', 'cli.stdin', '--role', 'finance', '--db', db], { input: 'stdin-password-1\n' });
	assert.equal(fromStdin.code, 0, fromStdin.stderr);
	await srv.login('cli.stdin', 'stdin-password-1');

	const dup = await runCli(['user', 'add', 'cli.sales', '--role', 'sales', '--db', db], { env: { GUANXI_PASSWORD: PASSWORD } });
	assert.equal(dup.code, 3, 'a taken username is invalid input');
	const badRole = await runCli(['user', 'add', 'cli.bad', '--role', 'boss', '--db', db], { env: { GUANXI_PASSWORD: PASSWORD } });
	assert.equal(badRole.code, 3);
	const noRole = await runCli(['user', 'add', 'cli.bad', '--db', db], { env: { GUANXI_PASSWORD: PASSWORD } });
	assert.equal(noRole.code, 3);
	const short = await runCli(['user', 'add', 'cli.bad', '--role', 'sales', '--db', db], { env: { GUANXI_PASSWORD: 'short' } });
	assert.equal(short.code, 3);

	const list = await cli('user', 'list', '--db', db);
	assert.equal(list.code, 0);
	assert.match(list.stdout, /^ID\s+USERNAME\s+ROLE\s+TEAM/m);
	assert.match(list.stdout, /cli\.sales\s+sales\s+north\s+yes\s+命令行用户/);
	assert.match(list.stdout, /\badmin\s+admin\b/);
	assert.ok(!list.stdout.includes('cli.bad'), 'failed adds created nobody');
	assert.ok(!list.stdout.includes('$argon2'), 'no password hashes');

	const passwd = await runCli(['user', 'passwd', 'cli.sales', '--db', db], { env: { GUANXI_PASSWORD: 'changed-by-cli-99' } });
	assert.equal(passwd.code, 0, passwd.stderr);
	assertError(await srv.api(token, 'GET', '/api/v1/me'), 401, 'unauthorized');
	await srv.login('cli.sales', 'changed-by-cli-99');
	const nobody = await runCli(['user', 'passwd', 'nobody', '--db', db], { env: { GUANXI_PASSWORD: PASSWORD } });
	assert.equal(nobody.code, 1);
});

test('backup while the server runs: the copy opens and holds the data', async () => {
	const file = path.join(srv.dir, 'backup.db');
	// keep the server busy writing while the backup runs
	const writes = (async () => {
		for (let i = 0; i < 20; i++) assertStatus(await srv.api(admin, 'POST', '/api/v1/accounts', { name: `备份期间 ${i}` }), 201);
	})();
	const r = await cli('backup', file, '--db', db);
	await writes;
	assert.equal(r.code, 0, r.stderr);
	assert.match(r.stdout, /backed up/);
	assert.ok(fs.statSync(file).size > 0);
	const found = await cli('search', '张伟', '--db', file);
	assert.equal(found.code, 0, found.stderr);
	assert.match(found.stdout, /张伟 \(北京华信科技有限公司\)/);
	const look = await cli('lookup', '13800138000', '--db', file);
	assert.equal(look.code, 0);
	assert.match(look.stdout, /1299\.00/);
	// the live server is unaffected
	assert.equal((await srv.api(admin, 'GET', `/api/v1/contacts/${zhang.id}`)).status, 200);
	// never over an existing file
	const again = await cli('backup', file, '--db', db);
	assert.equal(again.code, 3);
	assert.equal((await cli('backup', '--db', db)).code, 2);
});

test('migrate creates a new database (and is idempotent); commands on a missing database exit 4', async () => {
	const fresh = path.join(srv.dir, 'fresh.db');
	const m = await cli('migrate', '--db', fresh);
	assert.equal(m.code, 0, m.stderr);
	assert.match(m.stdout, /schema version \d+/);
	assert.ok(fs.existsSync(fresh));
	assert.equal((await cli('migrate', '--db', fresh)).code, 0, 'migrate twice is fine');
	assert.equal((await cli('search', '张伟', '--db', fresh)).code, 1, 'a new database is empty');
	assert.equal((await cli('lookup', '13800138000', '--db', fresh)).code, 1);
	assert.equal((await cli('user', 'list', '--db', fresh)).code, 0);

	const missing = path.join(srv.dir, 'missing', 'nothing.db');
	for (const args of [['lookup', '13800138000'], ['search', '张伟'], ['user', 'list'], ['backup', path.join(srv.dir, 'b2.db')]]) {
		const r = await cli(...args, '--db', missing);
		assert.equal(r.code, 4, `${args[0]} on a missing database: ${r.stderr}`);
		assert.match(r.stderr, /no database/);
	}
	assert.ok(!fs.existsSync(missing), 'a read command does not create the database');
	const junk = path.join(srv.dir, 'junk.db');
	fs.writeFileSync(junk, 'this is not a database, just text '.repeat(200));
	assert.equal((await cli('lookup', '13800138000', '--db', junk)).code, 4);
});

test('the server stops cleanly on SIGTERM (exit 0, no sanitizer report)', async () => {
	await srv.stopAndCheck();
});
