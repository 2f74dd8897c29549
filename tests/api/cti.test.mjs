// cti.test.mjs — the CTI screen pop against the real binary: call events from an integration
// token, the pop on the routed agent's event stream (server-sent events, read with fetch) with
// the 360 summary, the gold line, visibility of pops, Last-Event-ID replay after a dropped stream,
// ended calls logged as interactions (idempotent, any order), presence and clear 4xx errors.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { assertError, assertStatus, sleep, startServer } from './lib/server.mjs';

/* One event stream read with fetch: events are parsed as they arrive and taken with next(). */
class EventStream {
	constructor(srv, token, { lastEventId } = {}) {
		this.srv = srv;
		this.token = token;
		this.lastEventId = lastEventId;
		this.events = [];
		this.waiters = [];
		this.closed = false;
		this.comments = 0;
	}

	async open() {
		this.abort = new AbortController();
		const headers = { authorization: `Bearer ${this.token}`, accept: 'text/event-stream' };
		if (this.lastEventId) headers['last-event-id'] = this.lastEventId;
		this.res = await fetch(`${this.srv.url}/api/v1/events`, { headers, signal: this.abort.signal });
		assert.equal(this.res.status, 200, `GET /api/v1/events: ${this.res.status}`);
		assert.match(this.res.headers.get('content-type'), /^text\/event-stream/);
		this.pump();
		this.ready = await this.next('ready');
		return this;
	}

	async pump() {
		const reader = this.res.body.getReader();
		const decoder = new TextDecoder();
		let buf = '';
		try {
			for (;;) {
				const { value, done } = await reader.read();
				if (done) break;
				buf += decoder.decode(value, { stream: true });
				let cut;
				while ((cut = buf.indexOf('\n\n')) >= 0) {
					this.parse(buf.slice(0, cut));
					buf = buf.slice(cut + 2);
				}
			}
		} catch {
			/* aborted */
		}
		this.closed = true;
		this.wake();
	}

	parse(block) {
		const ev = { id: null, event: 'message', data: '', at: Date.now() };
		let fields = 0;
		for (const line of block.split('\n')) {
			if (line.startsWith(':')) {
				this.comments++;
				continue;
			}
			const colon = line.indexOf(':');
			const key = colon < 0 ? line : line.slice(0, colon);
			const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
			if (key === 'id') ev.id = value;
			else if (key === 'event') ev.event = value;
			else if (key === 'data') ev.data += value;
			else continue;
			fields++;
		}
		if (!fields || !ev.data) return;
		ev.json = JSON.parse(ev.data);
		if (ev.id) this.lastId = ev.id;
		this.events.push(ev);
		this.wake();
	}

	wake() {
		for (const w of this.waiters.splice(0)) w();
	}

	/* The next unread event of this type; rejects after timeoutMs. */
	async next(type, timeoutMs = 3000) {
		const deadline = Date.now() + timeoutMs;
		for (;;) {
			const i = this.events.findIndex((e) => e.event === type);
			if (i >= 0) return this.events.splice(i, 1)[0];
			if (this.closed) throw new Error(`stream closed while waiting for ${type}`);
			const left = deadline - Date.now();
			if (left <= 0) throw new Error(`no ${type} event within ${timeoutMs} ms`);
			await new Promise((resolve) => {
				const timer = setTimeout(resolve, left);
				this.waiters.push(() => {
					clearTimeout(timer);
					resolve();
				});
			});
		}
	}

	/* Asserts that no event of this type arrives within ms. */
	async none(type, ms = 300) {
		await sleep(ms);
		assert.deepEqual(this.events.filter((e) => e.event === type).map((e) => e.json), [], `unexpected ${type}`);
	}

	close() {
		this.abort?.abort();
	}
}

let srv;
let admin; // admin token
let pbx; // integration (API) token
const users = {};
const streams = [];
let customer; // contact owned by north.sales, with an unresolved complaint
let goldCustomer;
let seq = 0;

const callId = () => `call-${++seq}-${Date.now()}`;
const post = (body, token = pbx) => srv.api(token, 'POST', '/api/v1/cti/calls', body);
async function stream(token, options) {
	const s = await new EventStream(srv, token, options).open();
	streams.push(s);
	return s;
}
const presence = (who, status) => srv.api(users[who].token, 'PUT', '/api/v1/presence', { status });

before(async () => {
	srv = await startServer({ env: { GUANXI_GOLD_TEAM: 'vip' } });
	admin = await srv.loginAdmin();
	const mk = (username, role, team) => srv.user(admin, { username, role, team });
	users.pbx = await srv.user(admin, { username: 'pbx', role: 'service', login: false });
	users.svc = await mk('svc.agent', 'service', 'service');
	users.north = await mk('north.sales', 'sales', 'north');
	users.south = await mk('south.sales', 'sales', 'south');
	users.vip1 = await mk('vip.one', 'service', 'vip');
	users.vip2 = await mk('vip.two', 'service', 'vip');
	users.mgr = await mk('the.manager', 'manager', undefined);
	const tok = assertStatus(await srv.api(admin, 'POST', '/api/v1/tokens', { name: 'asterisk', user_id: users.pbx.id }), 201);
	pbx = tok.token;
	assertStatus(await srv.api(admin, 'PATCH', `/api/v1/agents/${users.svc.id}`, { extension: '8001' }), 200);
	assertStatus(await srv.api(admin, 'PATCH', `/api/v1/agents/${users.vip1.id}`, { agent_rank: 10 }), 200);
	assertStatus(await srv.api(admin, 'PATCH', `/api/v1/agents/${users.vip2.id}`, { agent_rank: 50 }), 200);

	const acc = assertStatus(await srv.api(admin, 'POST', '/api/v1/accounts', { name: '华北贸易有限公司', owner_id: users.north.id }), 201);
	customer = assertStatus(
		await srv.api(admin, 'POST', '/api/v1/contacts', {
			name: '王小明',
			account_id: acc.id,
			owner_id: users.north.id,
			phones: [{ kind: 'mobile', number: '138 0013 8000' }],
		}),
		201,
	);
	const log = (occurred_at, outcome, subject) =>
		srv.api(admin, 'POST', '/api/v1/interactions', { contact_id: customer.id, channel: 'phone', direction: 'inbound', occurred_at, outcome, subject });
	assertStatus(await log('2026-01-05T08:00:00Z', 'complaint', 'Delivery late'), 201);
	assertStatus(await log('2026-01-06T08:00:00Z', 'resolved', 'Refunded shipping'), 201);
	assertStatus(await log('2026-02-01T08:00:00Z', 'complaint', 'Invoice wrong'), 201);
	assertStatus(await log('2026-02-02T08:00:00Z', 'follow_up', 'Called back, no answer'), 201);

	goldCustomer = assertStatus(
		await srv.api(admin, 'POST', '/api/v1/contacts', {
			name: 'Grace Gold',
			owner_id: users.south.id,
			phones: [{ kind: 'work', number: '+86 10 6552 9988' }],
		}),
		201,
	);
	const order = await srv.api(admin, 'POST', '/api/v1/orders', {
		contact_id: goldCustomer.id,
		ordered_at: '2026-03-01T08:00:00Z',
		amount: '2000000.00',
		source: 'erp',
		external_ref: 'GOLD-1',
	});
	assert.ok([200, 201].includes(order.status), order.text);
});

after(async () => {
	for (const s of streams) s.close();
	await srv?.cleanup();
});

test('bad call events get clear 4xx errors and change nothing', async () => {
	assertError(await srv.request('POST', '/api/v1/cti/calls', { body: { event: 'ringing', call_id: 'x' } }), 401, 'unauthorized');
	assertError(await post({ event: 'ringing', call_id: 'x' }, users.svc.token), 403, 'forbidden');
	assertError(await post('{"event": "ringing",'), 400, 'bad_request');
	assertError(await post([1, 2]), 400, 'bad_request');
	assertError(await post({ call_id: 'x' }), 422, 'validation_failed', 'event');
	assertError(await post({ event: 'hold', call_id: 'x' }), 422, 'validation_failed', 'event');
	assertError(await post({ event: 'ringing' }), 422, 'validation_failed', 'call_id');
	assertError(await post({ event: 'ringing', call_id: 42 }), 422, 'validation_failed', 'call_id');
	assertError(await post({ event: 'ringing', call_id: 'x', from: 13800138000 }), 422, 'validation_failed', 'from');
	assertError(await post({ event: 'ringing', call_id: 'x', at: 'yesterday' }), 422, 'validation_failed', 'at');
	assertError(await post({ event: 'ringing', call_id: 'x', agent: 'nobody' }), 422, 'validation_failed', 'agent');
	assertError(await post({ event: 'ringing', call_id: 'x', caller: '1' }), 422, 'validation_failed', 'caller');
	assertError(await post({ event: 'ringing', call_id: 'x'.repeat(129) }), 422, 'validation_failed', 'call_id');
	// none of them created a call: the same id now starts fresh
	const r = assertStatus(await post({ event: 'ended', call_id: 'x' }), 200);
	assert.equal(r.duplicate, false);
});

test('ringing pops the caller\'s 360 summary on the routed agent\'s stream within the deadline', async () => {
	const svc = await stream(users.svc.token);
	const t0 = Date.now();
	const r = assertStatus(await post({ event: 'ringing', call_id: callId(), from: '+86 138-0013-8000', to: '4008001234' }), 200);
	const pop = await svc.next('screen_pop', 2000);
	const ms = pop.at - t0;
	assert.ok(ms < 1000, `pop after ${ms} ms`);
	assert.equal(r.call.agent, 'svc.agent');
	assert.equal(r.call.routed, 'longest_idle');
	assert.equal(r.call.contact_id, customer.id);
	assert.equal(String(r.event_id), pop.id);
	const c = pop.json.caller;
	assert.equal(c.known, true);
	assert.equal(c.number, '+8613800138000');
	assert.equal(c.contact.name, '王小明');
	assert.equal(c.account.name, '华北贸易有限公司');
	assert.equal(c.tier, 'bronze');
	assert.equal(c.open_cases, 0);
	assert.equal(c.figures.interaction_count, 4);
	assert.equal(c.last_interactions.length, 4);
	assert.equal(c.last_interactions[0].subject, 'Called back, no answer');
	assert.ok(c.complaint, 'the complaint of 1 Feb is not followed by a resolution');
	assert.equal(c.complaint.subject, 'Invoice wrong');
	assert.match(c.complaint.message, /Unresolved complaint since 2026-02-01/);
	assert.equal(pop.json.call.state, 'ringing');
	// the agent is now on that call: ended frees them again
	assertStatus(await post({ event: 'ended', call_id: r.call.call_id }), 200);
	await svc.next('call_update');
	svc.close();
});

test('an unknown caller gets a new-caller card with the one-click create', async () => {
	const svc = await stream(users.svc.token);
	const r = assertStatus(await post({ event: 'ringing', call_id: callId(), from: '021 6288 1234' }), 200);
	const pop = await svc.next('screen_pop');
	assert.equal(pop.json.caller.known, false);
	assert.equal(pop.json.caller.number, '+862162881234');
	assert.equal(pop.json.caller.contact, null);
	assert.deepEqual(pop.json.caller.create, {
		method: 'POST',
		path: '/api/v1/contacts',
		body: { phones: [{ kind: 'mobile', number: '021 6288 1234' }] },
	});
	// the create works as it stands once a name is added
	const created = assertStatus(await srv.api(users.svc.token, 'POST', pop.json.caller.create.path, { name: '新客户', ...pop.json.caller.create.body }), 201);
	assert.equal(created.phones[0].e164, '+862162881234');
	const ended = assertStatus(await post({ event: 'ended', call_id: r.call.call_id }), 200);
	assert.equal(ended.call.outcome, 'abandoned');
	assert.equal(ended.call.interaction_id, null, 'no customer to log it on: the calls row is the record');
	svc.close();
});

test('ended logs one phone interaction (answered, duration, wait, agent); repeats change nothing', async () => {
	const id = callId();
	const bound = assertStatus(await post({ event: 'ringing', call_id: id, from: '13800138000', agent: '8001', at: '2026-11-22T08:30:00Z' }), 200);
	assert.equal(bound.call.agent, 'svc.agent', 'the extension names the agent');
	assert.equal(bound.call.routed, 'bound');
	assertStatus(await post({ event: 'answered', call_id: id, at: '2026-11-22T08:30:12Z' }), 200);
	const end = assertStatus(await post({ event: 'ended', call_id: id, at: '2026-11-22T08:33:32Z' }), 200);
	assert.equal(end.call.outcome, 'answered');
	assert.equal(end.call.wait_s, 12);
	assert.equal(end.call.duration_s, 200);
	const again = assertStatus(await post({ event: 'ended', call_id: id, at: '2026-11-22T09:00:00Z' }), 200);
	assert.equal(again.duplicate, true);
	assert.equal(again.call.ended_at, '2026-11-22T08:33:32Z');
	assertStatus(await post({ event: 'ringing', call_id: id }), 200);
	const list = assertStatus(await srv.api(admin, 'GET', `/api/v1/interactions?contact_id=${customer.id}&channel=phone&limit=100`), 200);
	const logged = list.data.filter((i) => i.id === end.call.interaction_id);
	assert.equal(logged.length, 1);
	const it = logged[0];
	assert.equal(it.direction, 'inbound');
	assert.equal(it.outcome, 'answered');
	assert.equal(it.duration_s, 200);
	assert.equal(it.user_id, users.svc.id);
	assert.equal(it.occurred_at, '2026-11-22T08:30:00Z');
	assert.match(it.body, /after 12 s waiting/);
	const audit = assertStatus(await srv.api(admin, 'GET', `/api/v1/audit?entity=interaction&id=${it.id}`), 200);
	assert.ok(JSON.stringify(audit).includes('create'), `audit of the interaction: ${JSON.stringify(audit)}`);
});

test('events out of order: ended first is abandoned, a late answered corrects the interaction', async () => {
	const id = callId();
	const end = assertStatus(await post({ event: 'ended', call_id: id, from: '138 0013 8000', at: '2026-11-23T10:01:00Z' }), 200);
	assert.equal(end.call.outcome, 'abandoned');
	assert.equal(end.call.agent, null, 'an ended call is not routed');
	assert.ok(end.call.interaction_id);
	assertStatus(await post({ event: 'ringing', call_id: id, at: '2026-11-23T10:00:00Z' }), 200);
	const ans = assertStatus(await post({ event: 'answered', call_id: id, agent: 'north.sales', at: '2026-11-23T10:00:20Z' }), 200);
	assert.equal(ans.call.outcome, 'answered');
	assert.equal(ans.call.wait_s, 20);
	assert.equal(ans.call.duration_s, 40);
	assert.equal(ans.call.interaction_id, end.call.interaction_id);
	const it = assertStatus(await srv.api(admin, 'GET', `/api/v1/interactions/${end.call.interaction_id}`), 200);
	assert.equal(it.outcome, 'answered');
	assert.equal(it.duration_s, 40);
	assert.equal(it.occurred_at, '2026-11-23T10:00:00Z');
	assert.equal(it.user_id, users.north.id);
});

test('pops respect visibility: only the routed agent gets one, and a team\'s customer goes to that team first', async () => {
	const north = await stream(users.north.token);
	const south = await stream(users.south.token);
	const svc = await stream(users.svc.token);
	assertStatus(await presence('svc', 'away'), 200);
	// north.sales may see the customer, south.sales may not: north gets it, whoever idled longer
	const r1 = assertStatus(await post({ event: 'ringing', call_id: callId(), from: '13800138000' }), 200);
	assert.equal(r1.call.agent, 'north.sales');
	assert.equal(r1.call.routed, 'longest_idle');
	await north.next('screen_pop');
	await south.none('screen_pop');
	await svc.none('screen_pop', 0);
	// north is on that call now; the next call overflows to south, whom routing gives it
	const r2 = assertStatus(await post({ event: 'ringing', call_id: callId(), from: '13800138000' }), 200);
	assert.equal(r2.call.agent, 'south.sales');
	assert.equal(r2.call.routed, 'overflow');
	const pop = await south.next('screen_pop');
	assert.equal(pop.json.caller.contact.name, '王小明', 'routing gave south this caller: the card is complete');
	// south still cannot read the customer through the API
	assertError(await srv.api(users.south.token, 'GET', `/api/v1/contacts/${customer.id}`), 404, 'not_found');
	await north.none('screen_pop');
	for (const r of [r1, r2]) assertStatus(await post({ event: 'ended', call_id: r.call.call_id }), 200);
	assertStatus(await presence('svc', 'available'), 200);
	north.close();
	south.close();
	svc.close();
});

test('a gold customer goes to the best available agent of the gold team', async () => {
	const contact = assertStatus(await srv.api(admin, 'GET', `/api/v1/contacts/${goldCustomer.id}`), 200);
	assert.equal(contact.tier, 'gold', 'the order made the customer gold');
	// south.sales (the owner's team) may still count as connected: a closed stream is noticed
	// at its next write; away takes it out of routing for sure
	assertStatus(await presence('south', 'away'), 200);
	const svc = await stream(users.svc.token);
	const v1 = await stream(users.vip1.token);
	const v2 = await stream(users.vip2.token);
	const r = assertStatus(await post({ event: 'ringing', call_id: callId(), from: '010-6552 9988' }), 200);
	assert.equal(r.call.agent, 'vip.two', 'rank 50 before rank 10');
	assert.equal(r.call.routed, 'gold_line');
	const pop = await v2.next('screen_pop');
	assert.equal(pop.json.caller.tier, 'gold');
	await v1.none('screen_pop', 100);
	await svc.none('screen_pop', 0);
	// vip.two is busy with it: the next gold call takes vip.one
	const r2 = assertStatus(await post({ event: 'ringing', call_id: callId(), from: '+861065529988' }), 200);
	assert.equal(r2.call.agent, 'vip.one');
	// neither is free: a third gold call falls back to the longest-idle agent
	const r3 = assertStatus(await post({ event: 'ringing', call_id: callId(), from: '+861065529988' }), 200);
	assert.equal(r3.call.agent, 'svc.agent');
	assert.equal(r3.call.routed, 'longest_idle');
	assert.equal(r3.call.extension, '8001', 'the reply names the extension to ring');
	for (const x of [r, r2, r3]) assertStatus(await post({ event: 'ended', call_id: x.call.call_id }), 200);
	assertStatus(await presence('south', 'available'), 200);
	for (const s of [svc, v1, v2]) s.close();
});

test('a dropped stream reconnects with Last-Event-ID and misses nothing', async () => {
	const first = await stream(users.svc.token);
	const id0 = callId();
	assertStatus(await post({ event: 'ringing', call_id: id0, agent: 'svc.agent', from: '13800138000' }), 200);
	const seen = await first.next('screen_pop');
	first.close();
	await sleep(50);
	const missed = [];
	for (let i = 0; i < 3; i++) {
		const id = callId();
		missed.push(id);
		assertStatus(await post({ event: 'ringing', call_id: id, agent: 'svc.agent', from: '13800138000' }), 200);
	}
	const again = await stream(users.svc.token, { lastEventId: seen.id });
	assert.equal(again.ready.json.replayed, 3);
	assert.equal(again.ready.json.gap, false);
	const got = [];
	for (let i = 0; i < 3; i++) got.push((await again.next('screen_pop')).json.call.call_id);
	assert.deepEqual(got, missed);
	// ids only grow; an id from before this process started asks the client to reload
	const old = await stream(users.svc.token, { lastEventId: '1' });
	assert.equal(old.ready.json.gap, true);
	assertError(await srv.api(users.svc.token, 'GET', '/api/v1/events', undefined, { 'last-event-id': 'abc' }), 400, 'bad_request');
	for (const id of [id0, ...missed]) assertStatus(await post({ event: 'ended', call_id: id }), 200);
	again.close();
	old.close();
});

test('every stream gets a ping event (no id: it moves no replay point) every 5 s', async () => {
	const s = await stream(users.svc.token);
	const ping = await s.next('ping', 7000);
	assert.equal(ping.id, null);
	assert.deepEqual(ping.json, {});
	assert.equal(s.comments, 0); // an event, not an SSE comment: EventSource never shows those
	s.close();
});

test('presence: agents set their status, managers see who is connected and idle', async () => {
	assertError(await srv.api(users.svc.token, 'PUT', '/api/v1/presence', { status: 'sleeping' }), 422, 'validation_failed', 'status');
	assertError(await srv.api(users.svc.token, 'PUT', '/api/v1/presence', { status: 'busy', mood: 1 }), 422, 'validation_failed', 'mood');
	const s = await stream(users.svc.token);
	const busy = assertStatus(await presence('svc', 'busy'), 200);
	assert.equal(busy.status, 'busy');
	assert.equal(busy.connected, true);
	assert.equal(busy.idle_since, null);
	// a busy agent is not routed calls
	const south = await stream(users.south.token);
	const r = assertStatus(await post({ event: 'ringing', call_id: callId(), from: '021 5555 0000' }), 200);
	assert.notEqual(r.call.agent, 'svc.agent');
	assertStatus(await post({ event: 'ended', call_id: r.call.call_id }), 200);
	assertStatus(await srv.api(users.svc.token, 'POST', '/api/v1/presence', { status: 'available' }), 200);
	assertError(await srv.api(users.north.token, 'GET', '/api/v1/agents'), 403, 'forbidden');
	const agents = assertStatus(await srv.api(users.mgr.token, 'GET', '/api/v1/agents'), 200);
	const svc = agents.data.find((a) => a.username === 'svc.agent');
	assert.equal(svc.status, 'available');
	assert.equal(svc.connected, true);
	assert.equal(svc.extension, '8001');
	assert.match(svc.idle_since, /^\d{4}-\d\d-\d\dT/);
	assert.ok(!agents.data.some((a) => a.username === 'the.manager'), 'managers are not agents');
	s.close();
	south.close();
	await sleep(100);
	assertError(await srv.api(admin, 'PATCH', `/api/v1/agents/${users.svc.id}`, { extension: '8001x' }), 422, 'validation_failed', 'extension');
	assertError(await srv.api(admin, 'PATCH', `/api/v1/agents/${users.north.id}`, { extension: '8001' }), 409, 'conflict', 'extension');
	assertError(await srv.api(users.mgr.token, 'PATCH', `/api/v1/agents/${users.north.id}`, { agent_rank: 3 }), 403, 'forbidden');
});

test('SIGTERM with event streams open: streams end and the server stops cleanly', async () => {
	const a = await stream(users.svc.token);
	const b = await stream(users.north.token);
	const r = await srv.stopAndCheck();
	assert.ok(r.ms < 5000, `stopped after ${r.ms} ms`);
	await sleep(50);
	assert.ok(a.closed && b.closed, 'the streams ended');
});
