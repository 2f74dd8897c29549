// examples.test.mjs — the PBX hooks shipped in examples/ (Asterisk extensions.conf, FreeSWITCH
// dialplan XML) against the real server. No PBX is packaged for this machine (Debian 12 has
// neither), so the test plays the PBX's part: it takes each curl command out of the example
// file, undoes the file format's escaping (Asterisk's \\, XML's &quot;), fills in the channel
// variables the PBX would, and runs it with sh, in the order a call runs them: ringing (whose
// output must be the routed agent's extension), answered, ended. The call must then be logged as
// answered by that agent. What it cannot show: that the PBX itself expands the variables and runs
// SHELL()/system as assumed.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { ROOT, assertStatus, startServer } from './lib/server.mjs';

let srv;
let admin;
let pbx;
let agent;
let stream; // the agent's open event stream: routing picks connected agents
let seq = 0;

before(async () => {
	srv = await startServer();
	admin = await srv.loginAdmin();
	const pbxUser = await srv.user(admin, { username: 'pbx', role: 'service', login: false });
	pbx = assertStatus(await srv.api(admin, 'POST', '/api/v1/tokens', { name: 'pbx', user_id: pbxUser.id }), 201).token;
	agent = await srv.user(admin, { username: 'desk.agent', role: 'service', team: 'service' });
	assertStatus(await srv.api(admin, 'PATCH', `/api/v1/agents/${agent.id}`, { extension: '8001' }), 200);
	assertStatus(await srv.api(admin, 'POST', '/api/v1/contacts', { name: '王小明', phones: [{ kind: 'mobile', number: '138 0013 8000' }] }), 201);
	stream = new AbortController();
	const res = await fetch(`${srv.url}/api/v1/events`, { headers: { authorization: `Bearer ${agent.token}` }, signal: stream.signal });
	assert.equal(res.status, 200);
	const reader = res.body.getReader();
	for (let text = ''; !text.includes('event: ready'); ) text += new TextDecoder().decode((await reader.read()).value);
	assertStatus(await srv.api(agent.token, 'PUT', '/api/v1/presence', { status: 'available' }), 200);
});

after(async () => {
	stream?.abort();
	await srv?.cleanup();
});

const sh = (command) => execFileSync('sh', ['-c', command], { encoding: 'utf8', timeout: 10000 });

/* Replaces each ${name} (Asterisk, FreeSWITCH) or $${name} (FreeSWITCH globals) in text. */
function fill(text, vars) {
	return text.replace(/\$?\$\{([^}]+)\}/g, (whole, name) => {
		assert.ok(name in vars, `the test does not know the variable ${whole}`);
		return vars[name];
	});
}

/* After a call through the hooks, the server holds it as answered by the agent. */
async function assertLoggedAnswered(callId) {
	const again = assertStatus(await srv.api(pbx, 'POST', '/api/v1/cti/calls', { event: 'ended', call_id: callId }), 200);
	assert.equal(again.duplicate, true, 'the hooks ended the call');
	assert.equal(again.call.outcome, 'answered');
	assert.equal(again.call.agent, 'desk.agent');
	assert.ok(again.call.interaction_id > 0, 'logged as an interaction');
}

test('Asterisk: the dialplan\'s SHELL(curl ...) calls ring, answer and end a call', async () => {
	const conf = fs.readFileSync(path.join(ROOT, 'examples/asterisk/extensions.conf'), 'utf8');
	// Each command is the SHELL(...) of a Set(); in extensions.conf \\ stands for one backslash.
	const commands = [...conf.matchAll(/\$\{SHELL\((.*)\)\}\)$/gm)].map((m) => m[1].replaceAll('\\\\', '\\'));
	assert.equal(commands.length, 3, 'ringing, answered, ended');
	const [ringing, answered, ended] = commands;
	assert.match(ringing, /"event":"ringing"/);
	const uniqueid = `1733100000.${++seq}`;
	const common = { GUANXI: `${srv.url}/api/v1/cti/calls`, GUANXI_TOKEN: pbx, UNIQUEID: uniqueid, 'MASTER_CHANNEL(UNIQUEID)': uniqueid };
	const extension = sh(fill(ringing, { ...common, 'CALLERID(num)': '13800138000', EXTEN: '4008001234' })).trim();
	assert.equal(extension, '8001', 'the dialplan dials the extension Guanxi names');
	// guanxi-answered runs on the agent's channel, where CALLERID(num) is the agent's extension
	sh(fill(answered, { ...common, 'CALLERID(num)': extension }));
	sh(fill(ended, common));
	await assertLoggedAnswered(uniqueid);
});

test('FreeSWITCH: the dialplan\'s system curl calls ring, answer and end a call', async () => {
	const xml = fs.readFileSync(path.join(ROOT, 'examples/freeswitch/guanxi_cti.xml'), 'utf8');
	const data = [...xml.matchAll(/data="([^"]*)"/g)].map((m) => m[1].replaceAll('&quot;', '"'));
	const hook = (prefix) => {
		const d = data.find((x) => x.startsWith(prefix));
		assert.ok(d, `an action setting ${prefix}`);
		return d.slice(prefix.length);
	};
	const ringing = hook('guanxi_ext=${system ').replace(/\}$/, '');
	const answered = hook('nolocal:execute_on_answer=system ');
	const ended = hook('api_hangup_hook=system ');
	const uuid = `5f1c0e6a-0000-4000-8000-${String(++seq).padStart(12, '0')}`;
	const common = { guanxi_url: `${srv.url}/api/v1/cti/calls`, guanxi_token: pbx, uuid };
	const extension = sh(fill(ringing, { ...common, caller_id_number: '+86 138 0013 8000', destination_number: '4008001234' })).trim();
	assert.equal(extension, '8001', 'the bridge goes to the extension Guanxi names');
	sh(fill(answered, { ...common, guanxi_ext: extension }));
	sh(fill(ended, common));
	await assertLoggedAnswered(uuid);
});
