// auth.test.mjs — health, sign-in (bearer and cookie, the CSRF guard), sign-out, /me, users,
// API tokens and login throttling. The throttling tests run last: failed sign-ins from
// 127.0.0.1 would slow every later sign-in of this file.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ADMIN_PASSWORD, PASSWORD, assertError, startServer } from './lib/server.mjs';

let srv;
let admin; // token
let sales; // {id, token}

before(async () => {
	srv = await startServer();
	admin = await srv.loginAdmin();
	sales = await srv.user(admin, { username: 'li.na', role: 'sales', team: 'north', display_name: '李娜', locale: 'zh-CN' });
});
after(() => srv?.cleanup());

const SECRETS = [ADMIN_PASSWORD, PASSWORD, 'password_hash', '$argon2'];
function assertNoSecrets(reply) {
	for (const s of SECRETS) assert.ok(!reply.text.includes(s), `reply leaks ${s}: ${reply.text}`);
	assert.ok(!/"password"/.test(reply.text), `reply has a password field: ${reply.text}`);
}

test('health answers without auth', async () => {
	const r = await srv.request('GET', '/api/v1/health');
	assert.equal(r.status, 200);
	assert.equal(r.body.status, 'ok');
	assert.equal(typeof r.body.version, 'string');
	assert.match(r.headers.get('content-type'), /^application\/json/);
	assert.match(r.headers.get('content-security-policy'), /default-src 'self'/);
	assert.equal(r.headers.get('cache-control'), 'no-store');
});

test('every other endpoint needs a token: 401 unauthorized', async () => {
	for (const [method, p, body] of [
		['GET', '/api/v1/me'],
		['GET', '/api/v1/contacts'],
		['POST', '/api/v1/accounts', { name: 'x' }],
		['GET', '/api/v1/search?q=x'],
		['GET', '/api/v1/lookup/phone?number=13800138000'],
		['POST', '/api/v1/auth/logout'],
		['GET', '/api/v1/users'],
		['GET', '/api/v1/audit?entity=contact&id=1'],
	]) {
		const r = await srv.request(method, p, { body });
		assertError(r, 401, 'unauthorized');
		assert.match(r.headers.get('content-security-policy'), /default-src/);
	}
	assertError(await srv.api('not-a-token', 'GET', '/api/v1/me'), 401, 'unauthorized');
	assertError(await srv.request('GET', '/api/v1/me', { headers: { authorization: 'Bearer ' } }), 401, 'unauthorized');
	assertError(await srv.request('GET', '/api/v1/me', { headers: { authorization: `Basic ${admin}` } }), 401, 'unauthorized');
	// nothing was created by the unauthenticated POST
	const list = await srv.api(admin, 'GET', '/api/v1/accounts');
	assert.equal(list.body.data.length, 0);
});

test('login replies token and user, and sets an HttpOnly SameSite=Strict session cookie', async () => {
	const r = await srv.request('POST', '/api/v1/auth/login', { body: { username: 'admin', password: ADMIN_PASSWORD } });
	assert.equal(r.status, 200);
	assert.equal(typeof r.body.token, 'string');
	assert.ok(r.body.token.length >= 40);
	assert.equal(r.body.user.username, 'admin');
	assert.equal(r.body.user.role, 'admin');
	assert.equal(typeof r.body.user.id, 'number');
	assertNoSecrets(r);
	const cookie = r.headers.get('set-cookie');
	assert.ok(cookie.startsWith(`gx_session=${r.body.token};`), cookie);
	assert.match(cookie, /;\s*HttpOnly/i);
	assert.match(cookie, /;\s*SameSite=Strict/i);
	assert.match(cookie, /;\s*Path=\//);
	// two logins are two sessions
	assert.notEqual(r.body.token, admin);
});

test('login with a malformed body is 400', async () => {
	for (const body of [{ username: 'admin' }, { username: 'admin', password: ADMIN_PASSWORD, extra: 1 }, [], { username: 1, password: 'x' }]) {
		assertError(await srv.request('POST', '/api/v1/auth/login', { body }), 400, 'bad_request');
	}
	assertError(await srv.request('POST', '/api/v1/auth/login', { body: '' }), 400, 'bad_request');
});

test('bearer auth: GET /me is the signed-in user without any password', async () => {
	const r = await srv.api(sales.token, 'GET', '/api/v1/me');
	assert.equal(r.status, 200);
	assert.deepEqual(
		{ ...r.body },
		{ id: sales.id, username: 'li.na', role: 'sales', team: 'north', display_name: '李娜', locale: 'zh-CN', active: true },
	);
	assertNoSecrets(r);
});

test('cookie auth: reads work, writes need X-Requested-With: guanxi (CSRF guard)', async () => {
	const token = await srv.login('li.na', PASSWORD);
	const cookie = { cookie: `gx_session=${token}` };
	const me = await srv.request('GET', '/api/v1/me', { headers: cookie });
	assert.equal(me.status, 200);
	assert.equal(me.body.username, 'li.na');

	const denied = await srv.request('POST', '/api/v1/accounts', { headers: cookie, body: { name: 'CSRF 公司' } });
	assertError(denied, 403, 'forbidden');
	const wrongValue = await srv.request('POST', '/api/v1/accounts', {
		headers: { ...cookie, 'x-requested-with': 'XMLHttpRequest' },
		body: { name: 'CSRF 公司' },
	});
	assertError(wrongValue, 403, 'forbidden');
	const none = await srv.api(admin, 'GET', '/api/v1/search?q=CSRF');
	assert.equal(none.body.data.length, 0, 'a refused write changed nothing');

	const ok = await srv.request('POST', '/api/v1/accounts', {
		headers: { ...cookie, 'x-requested-with': 'guanxi' },
		body: { name: 'Cookie 公司' },
	});
	assert.equal(ok.status, 201, ok.text);
	assert.equal(ok.body.owner_id, sales.id);
	// PATCH and DELETE are writes too
	assertError(await srv.request('PATCH', `/api/v1/accounts/${ok.body.id}`, { headers: cookie, body: { notes: 'x' } }), 403, 'forbidden');
	assertError(await srv.request('DELETE', `/api/v1/accounts/${ok.body.id}`, { headers: cookie }), 403, 'forbidden');
	const del = await srv.request('DELETE', `/api/v1/accounts/${ok.body.id}`, { headers: { ...cookie, 'x-requested-with': 'guanxi' } });
	assert.equal(del.status, 204);
	// the bearer header wins over a cookie and needs no CSRF header
	const both = await srv.request('POST', '/api/v1/accounts', { token: admin, headers: cookie, body: { name: 'Bearer wins' } });
	assert.equal(both.status, 201);
	assert.equal(both.body.owner_id, 1);
	assert.equal((await srv.api(admin, 'DELETE', `/api/v1/accounts/${both.body.id}`)).status, 204);
});

test('logout ends the session (then 401) and clears the cookie; other sessions live on', async () => {
	const a = await srv.login('li.na', PASSWORD);
	const b = await srv.login('li.na', PASSWORD);
	const r = await srv.api(a, 'POST', '/api/v1/auth/logout');
	assert.equal(r.status, 204);
	assert.equal(r.text, '');
	assert.match(r.headers.get('set-cookie'), /^gx_session=;.*Max-Age=0/);
	assertError(await srv.api(a, 'GET', '/api/v1/me'), 401, 'unauthorized');
	assert.equal((await srv.api(b, 'GET', '/api/v1/me')).status, 200);
	// by cookie: the CSRF header is needed to sign out too
	const cookie = { cookie: `gx_session=${b}` };
	assertError(await srv.request('POST', '/api/v1/auth/logout', { headers: cookie }), 403, 'forbidden');
	assert.equal((await srv.api(b, 'GET', '/api/v1/me')).status, 200);
	assert.equal((await srv.request('POST', '/api/v1/auth/logout', { headers: { ...cookie, 'x-requested-with': 'guanxi' } })).status, 204);
	assertError(await srv.request('GET', '/api/v1/me', { headers: cookie }), 401, 'unauthorized');
});

test('wrong password and unknown user: 401 with the same message', async () => {
	const wrong = await srv.request('POST', '/api/v1/auth/login', { body: { username: 'admin', password: 'not-the-password' } });
	const unknown = await srv.request('POST', '/api/v1/auth/login', { body: { username: 'nobody', password: 'not-the-password' } });
	assertError(wrong, 401, 'unauthorized');
	assertError(unknown, 401, 'unauthorized');
	assert.equal(wrong.body.error.message, unknown.body.error.message);
	assert.equal(wrong.headers.get('set-cookie'), null);
});

test('PATCH /me changes display_name and locale, never role or team', async () => {
	const r = await srv.api(sales.token, 'PATCH', '/api/v1/me', { display_name: '李娜 (North)', locale: 'zh-TW' });
	assert.equal(r.status, 200, r.text);
	assert.equal(r.body.display_name, '李娜 (North)');
	assert.equal(r.body.locale, 'zh-TW');
	assertError(await srv.api(sales.token, 'PATCH', '/api/v1/me', { role: 'admin' }), 422, 'validation_failed', 'role');
	assertError(await srv.api(sales.token, 'PATCH', '/api/v1/me', { team: 'south' }), 422, 'validation_failed', 'team');
	assertError(await srv.api(sales.token, 'PATCH', '/api/v1/me', { locale: 'fr' }), 422, 'validation_failed', 'locale');
	assertError(await srv.api(sales.token, 'PATCH', '/api/v1/me', { password: 'short' }), 422, 'validation_failed', 'password');
	const me = await srv.api(sales.token, 'GET', '/api/v1/me');
	assert.equal(me.body.role, 'sales');
	assert.equal(me.body.team, 'north');
});

test('users: admin only; the password is write-only', async () => {
	const created = await srv.api(admin, 'POST', '/api/v1/users', {
		username: 'wang.fang',
		password: PASSWORD,
		role: 'service',
		team: 'south',
		display_name: '王芳',
	});
	assert.equal(created.status, 201, created.text);
	assert.deepEqual(Object.keys(created.body).sort(), ['active', 'display_name', 'id', 'locale', 'role', 'team', 'username']);
	assert.equal(created.body.locale, 'en');
	assertNoSecrets(created);

	const list = await srv.api(admin, 'GET', '/api/v1/users');
	assert.equal(list.status, 200);
	assert.deepEqual(list.body.data.map((u) => u.username), ['admin', 'li.na', 'wang.fang']);
	assert.equal(list.body.next_cursor, null);
	assertNoSecrets(list);
	const one = await srv.api(admin, 'GET', `/api/v1/users/${created.body.id}`);
	assert.equal(one.status, 200);
	assert.equal(one.body.display_name, '王芳');
	assertNoSecrets(one);
	assertError(await srv.api(admin, 'GET', '/api/v1/users/999'), 404, 'not_found');

	// a sales user may not manage users and sees only themselves
	assertError(await srv.api(sales.token, 'POST', '/api/v1/users', { username: 'evil', password: PASSWORD, role: 'admin' }), 403, 'forbidden');
	assertError(await srv.api(sales.token, 'GET', '/api/v1/users'), 403, 'forbidden');
	assertError(await srv.api(sales.token, 'GET', '/api/v1/users/1'), 404, 'not_found');
	assertError(await srv.api(sales.token, 'PATCH', `/api/v1/users/${created.body.id}`, { display_name: 'x' }), 404, 'not_found');
	assert.equal((await srv.api(sales.token, 'GET', `/api/v1/users/${sales.id}`)).status, 200);
	assert.equal((await srv.api(admin, 'GET', '/api/v1/users')).body.data.length, 3, 'no user was added');

	// validation
	const base = { username: 'zhao.lei', password: PASSWORD, role: 'sales' };
	assertError(await srv.api(admin, 'POST', '/api/v1/users', { ...base, username: 'li.na' }), 409, 'conflict', 'username');
	assertError(await srv.api(admin, 'POST', '/api/v1/users', { ...base, password: 'short' }), 422, 'validation_failed', 'password');
	assertError(await srv.api(admin, 'POST', '/api/v1/users', { ...base, role: 'boss' }), 422, 'validation_failed', 'role');
	assertError(await srv.api(admin, 'POST', '/api/v1/users', { ...base, username: 'Zhao Lei' }), 422, 'validation_failed', 'username');
	assertError(await srv.api(admin, 'POST', '/api/v1/users', { ...base, password_hash: 'x' }), 422, 'validation_failed', 'password_hash');
	assertError(await srv.api(admin, 'POST', '/api/v1/users', { username: 'zhao.lei', password: PASSWORD }), 422, 'validation_failed', 'role');
	assertError(await srv.api(admin, 'POST', '/api/v1/users', { ...base, locale: 'de' }), 422, 'validation_failed', 'locale');
	assertError(await srv.api(admin, 'POST', '/api/v1/users', { ...base, team: 5 }), 422, 'validation_failed', 'team');

	// admin PATCH: role change applies to the live session at once
	const svc = await srv.login('wang.fang', PASSWORD);
	assertError(await srv.api(svc, 'POST', '/api/v1/orders', { account_id: 1, ordered_at: '2026-01-01T00:00:00Z', amount: '1.00' }), 403, 'forbidden');
	const upd = await srv.api(admin, 'PATCH', `/api/v1/users/${created.body.id}`, { role: 'manager', team: null });
	assert.equal(upd.status, 200, upd.text);
	assert.equal(upd.body.role, 'manager');
	assert.equal(upd.body.team, null);
	assert.equal((await srv.api(svc, 'GET', '/api/v1/me')).body.role, 'manager');
	assertNoSecrets(upd);
	// deactivation ends sessions
	const off = await srv.api(admin, 'PATCH', `/api/v1/users/${created.body.id}`, { active: false });
	assert.equal(off.status, 200);
	assert.equal(off.body.active, false);
	assertError(await srv.api(svc, 'GET', '/api/v1/me'), 401, 'unauthorized');
});

test('API tokens: shown once, usable as bearer, listed without the secret, deleted -> 401', async () => {
	const r = await srv.api(admin, 'POST', '/api/v1/tokens', { name: 'ERP 订单同步' });
	assert.equal(r.status, 201, r.text);
	assert.equal(typeof r.body.token, 'string');
	assert.ok(r.body.token.length >= 40);
	assert.equal(r.body.name, 'ERP 订单同步');
	assert.equal(r.body.user_id, 1);
	assert.equal(r.body.username, 'admin');
	assert.equal(r.body.expires_at, null);
	assert.match(r.body.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
	const secret = r.body.token;

	const me = await srv.api(secret, 'GET', '/api/v1/me');
	assert.equal(me.status, 200);
	assert.equal(me.body.username, 'admin');

	const list = await srv.api(admin, 'GET', '/api/v1/tokens');
	assert.equal(list.status, 200);
	const row = list.body.data.find((t) => t.id === r.body.id);
	assert.ok(row, 'the token is listed');
	assert.equal(row.name, 'ERP 订单同步');
	assert.equal('token' in row, false);
	assert.ok(!list.text.includes(secret), 'the secret is never shown again');
	assert.ok(!list.text.includes(admin), 'session tokens are not listed');
	assert.ok(list.body.data.every((t) => !('token' in t)));

	// a token for another user acts as that user
	const forSales = await srv.api(admin, 'POST', '/api/v1/tokens', { name: 'phone system', user_id: sales.id });
	assert.equal(forSales.status, 201);
	const asSales = await srv.api(forSales.body.token, 'GET', '/api/v1/me');
	assert.equal(asSales.body.username, 'li.na');
	assertError(await srv.api(forSales.body.token, 'GET', '/api/v1/tokens'), 403, 'forbidden');
	assertError(await srv.api(sales.token, 'POST', '/api/v1/tokens', { name: 'mine' }), 403, 'forbidden');
	assertError(await srv.api(sales.token, 'DELETE', `/api/v1/tokens/${r.body.id}`), 403, 'forbidden');

	// an expired token does not authenticate
	const expired = await srv.api(admin, 'POST', '/api/v1/tokens', { name: 'old', expires_at: '2020-01-01T00:00:00Z' });
	assert.equal(expired.status, 201);
	assert.equal(expired.body.expires_at, '2020-01-01T00:00:00Z');
	assertError(await srv.api(expired.body.token, 'GET', '/api/v1/me'), 401, 'unauthorized');

	// validation
	assertError(await srv.api(admin, 'POST', '/api/v1/tokens', {}), 422, 'validation_failed', 'name');
	assertError(await srv.api(admin, 'POST', '/api/v1/tokens', { name: 'x', scope: 'all' }), 422, 'validation_failed', 'scope');
	assertError(await srv.api(admin, 'POST', '/api/v1/tokens', { name: 'x', user_id: 999 }), 422, 'validation_failed', 'user_id');
	assertError(await srv.api(admin, 'POST', '/api/v1/tokens', { name: 'x', expires_at: 'tomorrow' }), 422, 'validation_failed', 'expires_at');

	// delete: the token stops working at once; a second delete is 404
	assert.equal((await srv.api(admin, 'DELETE', `/api/v1/tokens/${r.body.id}`)).status, 204);
	assertError(await srv.api(secret, 'GET', '/api/v1/me'), 401, 'unauthorized');
	assertError(await srv.api(admin, 'DELETE', `/api/v1/tokens/${r.body.id}`), 404, 'not_found');
	assert.ok(!(await srv.api(admin, 'GET', '/api/v1/tokens')).body.data.some((t) => t.id === r.body.id));
	// sessions cannot be deleted as tokens
	assert.equal((await srv.api(admin, 'GET', '/api/v1/me')).status, 200);
});

test('a changed password ends the sessions of that user; the new one signs in', async () => {
	const u = await srv.user(admin, { username: 'chen.jie', role: 'marketing' });
	const other = await srv.login('chen.jie', PASSWORD);
	const r = await srv.api(u.token, 'PATCH', '/api/v1/me', { password: 'a-new-password-42' });
	assert.equal(r.status, 200, r.text);
	assertNoSecrets(r);
	assertError(await srv.api(u.token, 'GET', '/api/v1/me'), 401, 'unauthorized');
	assertError(await srv.api(other, 'GET', '/api/v1/me'), 401, 'unauthorized');
	const fresh = await srv.login('chen.jie', 'a-new-password-42');
	assert.equal((await srv.api(fresh, 'GET', '/api/v1/me')).body.username, 'chen.jie');
	// the admin can reset it
	assert.equal((await srv.api(admin, 'PATCH', `/api/v1/users/${u.id}`, { password: PASSWORD })).status, 200);
	assertError(await srv.api(fresh, 'GET', '/api/v1/me'), 401, 'unauthorized');
});

/* A sign-in from another loopback address (another client as the throttle sees it). */
async function loginFrom(address, username, password) {
	const t0 = Date.now();
	const r = await srv.httpRequest('POST', '/api/v1/auth/login', { body: { username, password }, localAddress: address });
	return { ...r, ms: Date.now() - t0 };
}

test('throttling: failures slow sign-in after 3 and refuse it with 429 and Retry-After after 10, per username and per client', async () => {
	await srv.user(admin, { username: 'victim', role: 'sales', team: 'north', login: false });
	await srv.user(admin, { username: 'bystander', role: 'sales', team: 'north', login: false });
	await srv.user(admin, { username: 'slowpoke', role: 'sales', team: 'north', login: false });

	// Per username: ten failures for "victim" from 127.0.0.2, then "victim" is refused from
	// anywhere, even with the right password, while others still sign in.
	const perUser = async () => {
		const replies = [];
		for (let i = 0; i < 10; i++) replies.push(await loginFrom('127.0.0.2', 'victim', `wrong-${i}-password`));
		const blocked = await loginFrom('127.0.0.2', 'victim', 'wrong-again-password');
		const elsewhere = await loginFrom('127.0.0.3', 'victim', PASSWORD);
		const other = await loginFrom('127.0.0.3', 'bystander', PASSWORD);
		return { replies, blocked, elsewhere, other };
	};
	// Per client: ten failures from 127.0.0.4 with ten different usernames, then even a right
	// password is refused from 127.0.0.4 but not from 127.0.0.5.
	const perClient = async () => {
		const replies = [];
		for (let i = 0; i < 10; i++) replies.push(await loginFrom('127.0.0.4', `guess${i}`, 'guessed-password'));
		const blocked = await loginFrom('127.0.0.4', 'bystander', PASSWORD);
		const other = await loginFrom('127.0.0.5', 'bystander', PASSWORD);
		return { replies, blocked, other };
	};
	// Slowed is not blocked: after three failures the right password still works, a second later.
	const slowed = async () => {
		for (let i = 0; i < 3; i++) assert.equal((await loginFrom('127.0.0.6', 'slowpoke', 'wrong-password-x')).status, 401);
		return loginFrom('127.0.0.6', 'slowpoke', PASSWORD);
	};
	const [u, c, s] = await Promise.all([perUser(), perClient(), slowed()]);

	for (const { replies } of [u, c]) {
		replies.forEach((r, i) => assert.equal(r.status, 401, `attempt ${i + 1}: ${r.text}`));
		// attempts 4..10 come after 3 failures: each waits a second
		replies.slice(3).forEach((r, i) => assert.ok(r.ms >= 950, `attempt ${i + 4} took only ${r.ms} ms`));
	}
	for (const blocked of [u.blocked, u.elsewhere, c.blocked]) {
		assert.equal(blocked.status, 429, blocked.text);
		assert.equal(blocked.body.error.code, 'rate_limited');
		const retry = Number(blocked.headers['retry-after']);
		assert.ok(Number.isInteger(retry) && retry > 0 && retry <= 900, `Retry-After: ${blocked.headers['retry-after']}`);
		assert.equal(blocked.headers['set-cookie'], undefined);
	}
	assert.equal(u.other.status, 200, 'another user signs in from another client');
	assert.equal(c.other.status, 200, 'the same user signs in from another client');
	assert.equal(s.status, 200, s.text);
	assert.ok(s.ms >= 950, `the slowed sign-in took only ${s.ms} ms`);
});

test('the server stops cleanly on SIGTERM (exit 0, no sanitizer report)', async () => {
	await srv.stopAndCheck();
});
