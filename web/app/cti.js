// cti.js — the agent's side of CTI (docs/cti.md): the event stream GET /api/v1/events, open while
// signed in (EventSource: same-origin cookie, reconnects by itself with Last-Event-ID and the
// server replays what was missed; "gap" in `ready` means it could not, and a note says so; a
// stream that goes quiet without closing, a dropped network, is replaced after two missed pings,
// from the last event it brought), the
// screen pop card of a ringing call (known caller: name, account, tier, open cases, complaint
// warning, last interactions; unknown: the one-click create with the number filled in), and the
// presence control of the top bar (PUT /api/v1/presence).
import { get, api } from './api.js';
import { h, mount } from './dom.js';
import { t, dateTime, duration, onLocaleChange } from './i18n.js';
import { openRecordForm } from './forms.js';
import { navigate } from './router.js';
import { state } from './state.js';
import { errorText, notice, tierBadge } from './ui.js';

export const STATUSES = ['available', 'busy', 'away'];

let source = null;
let retryTimer = null;
let watchdog = null;
let lastId = ''; // the id of the last event the stream brought: where a new stream resumes
// The server pings every 5 s (src/http/events.h): a stream silent this long is dead.
const SILENT_MS = 12000;
let presence = null; // GET /presence, once per sign-in
const selects = new Set();
let pop = null; // {call, caller, compact}
let gapNote = false;

/* Opens the stream once per sign-in; safe to call on every page. */
export function startEvents() {
	if (source || !state.me || typeof EventSource === 'undefined') return;
	source = new EventSource(`/api/v1/events${lastId ? `?last_event_id=${encodeURIComponent(lastId)}` : ''}`);
	const on = (name, handle) =>
		source.addEventListener(name, (e) => {
			alive(e);
			handle(parse(e));
		});
	on('ready', (d) => {
		document.documentElement.dataset.events = 'ready';
		if (d && d.gap) {
			gapNote = true;
			drawPop();
		}
	});
	on('screen_pop', (d) => {
		if (!d) return;
		pop = { call: d.call, caller: d.caller, compact: false };
		drawPop();
	});
	on('call_update', (d) => {
		if (d && pop && sameCall(pop.call, d.call)) {
			pop.call = { ...pop.call, ...d.call };
			drawPop();
		}
	});
	on('ping', () => {});
	source.addEventListener('error', () => {
		document.documentElement.dataset.events = 'reconnecting';
		// EventSource retries by itself unless the server refused (signed out, 4xx): then
		// try again later while someone is signed in.
		if (source && source.readyState === EventSource.CLOSED) {
			source = null;
			clearTimeout(retryTimer);
			retryTimer = setTimeout(() => state.me && startEvents(), 5000);
		}
	});
	alive(null);
	if (!presence) loadPresence();
}

/* Every event (pings too) proves the stream alive; silence past SILENT_MS replaces it. */
function alive(e) {
	if (e && e.lastEventId) lastId = e.lastEventId;
	clearTimeout(watchdog);
	watchdog = setTimeout(() => {
		document.documentElement.dataset.events = 'reconnecting';
		if (source) source.close();
		source = null;
		startEvents();
	}, SILENT_MS);
}

export function stopEvents() {
	clearTimeout(retryTimer);
	clearTimeout(watchdog);
	lastId = '';
	if (source) source.close();
	source = null;
	presence = null;
	pop = null;
	gapNote = false;
	delete document.documentElement.dataset.events;
	drawPop();
}

function parse(e) {
	try {
		return JSON.parse(e.data);
	} catch {
		return null;
	}
}

function sameCall(a, b) {
	return (a.id !== null && a.id !== undefined && a.id === b.id) || a.call_id === b.call_id;
}

/* ---- presence ---------------------------------------------------------------------------- */

async function loadPresence() {
	try {
		presence = await get('/presence');
		for (const sel of selects) if (sel.isConnected) sel.value = presence.status;
		paint();
	} catch {
		/* the control stays as it is */
	}
}

function paint() {
	for (const sel of [...selects]) {
		if (!sel.isConnected) {
			selects.delete(sel);
			continue;
		}
		sel.className = `presence presence-${sel.value}`;
	}
}

/* The select of the top bar; every layout draws a new one. */
export function presenceControl() {
	const sel = h(
		'select',
		{ id: 'presence', class: 'presence', 'aria-label': t('presence.label'), title: t('presence.label') },
		STATUSES.map((s) => h('option', { value: s, text: `● ${t(`presence.${s}`)}` })),
	);
	if (presence) sel.value = presence.status;
	else sel.value = 'available';
	sel.className = `presence presence-${sel.value}`;
	sel.addEventListener('change', async () => {
		const before = presence ? presence.status : null;
		sel.disabled = true;
		try {
			presence = await api('PUT', '/presence', { status: sel.value });
			notice(t('presence.changed', { status: t(`presence.${presence.status}`) }));
		} catch (e) {
			if (before) sel.value = before;
			notice(errorText(e), 'error');
		} finally {
			sel.disabled = false;
			paint();
		}
	});
	selects.add(sel);
	return sel;
}

/* ---- the screen pop ---------------------------------------------------------------------- */

function callState(call) {
	if (call.state === 'ended') return t(`cti.outcome.${call.outcome || 'answered'}`);
	return t(`cti.state.${call.state || 'ringing'}`);
}

function popBox() {
	let box = document.getElementById('screen-pop');
	if (!box) {
		box = h('aside', { id: 'screen-pop', class: 'screen-pop', role: 'region', 'aria-live': 'assertive', 'aria-label': t('cti.incoming') });
		document.body.append(box);
	}
	return box;
}

function close() {
	pop = null;
	drawPop();
}

function drawPop() {
	const box = popBox();
	const parts = [];
	if (gapNote)
		parts.push(
			h('div', { class: 'cti-gap', id: 'cti-gap', role: 'status' }, h('span', { text: t('cti.gap') }), h('button', { type: 'button', class: 'icon', 'aria-label': t('action.close'), text: '×', onclick: () => ((gapNote = false), drawPop()) })),
		);
	if (pop) parts.push(popCard(pop));
	box.hidden = !parts.length;
	box.className = `screen-pop${pop && pop.compact ? ' compact' : ''}`;
	mount(box, parts);
}

function popCard({ call, caller, compact }) {
	const c = caller || {};
	const number = c.number || call.number || call.from || t('cti.withheld');
	const head = h(
		'header',
		{ class: 'pop-head' },
		h('span', { class: 'pop-ring', 'aria-hidden': 'true', text: '☎' }),
		h('div', { class: 'pop-title' }, h('div', { class: 'pop-kicker', text: t('cti.incoming') }), h('div', { class: 'pop-number', text: number })),
		h('span', { class: `badge pop-state state-${call.state || 'ringing'}`, text: callState(call) }),
		h('button', { type: 'button', class: 'icon', id: 'pop-close', 'aria-label': t('action.close'), text: '×', onclick: close }),
	);
	const el = h('div', { class: 'pop-card', id: 'pop-card', dataset: { call: call.call_id || '' } }, head);
	if (c.known && c.contact) {
		const contact = c.contact;
		const open360 = () => {
			pop.compact = true;
			drawPop();
			navigate(`/contacts/${contact.id}`);
		};
		el.append(
			h(
				'div',
				{ class: 'pop-who' },
				h('a', { href: `/contacts/${contact.id}`, class: 'pop-name', id: 'pop-name', text: contact.name, onclick: (e) => (e.preventDefault(), open360()) }),
				' ',
				tierBadge(c.tier),
				contact.title ? h('div', { class: 'muted', text: contact.title }) : '',
				c.account ? h('div', { class: 'pop-account' }, h('span', { class: 'muted', text: `${t('column.account')}: ` }), h('a', { href: `/accounts/${c.account.id}`, text: c.account.name })) : '',
			),
		);
		if (!compact) {
			if (c.complaint)
				el.append(
					h(
						'div',
						{ class: 'pop-complaint', id: 'pop-complaint', role: 'alert' },
						h('strong', { text: `⚠ ${t('cti.complaint')}` }),
						h('div', { text: c.complaint.subject || c.complaint.message || '' }),
						c.complaint.occurred_at ? h('div', { class: 'muted', text: dateTime(c.complaint.occurred_at) }) : '',
					),
				);
			el.append(
				h(
					'div',
					{ class: 'pop-facts' },
					h('div', null, h('span', { class: 'pop-fact', text: String(c.open_cases ?? 0) }), h('span', { class: 'muted', text: t('cti.open_cases') })),
					h('div', null, h('span', { class: 'pop-fact', text: String(c.figures?.interaction_count ?? '—') }), h('span', { class: 'muted', text: t('figure.interaction_count') })),
					c.other_matches && c.other_matches.length ? h('div', null, h('span', { class: 'pop-fact', text: String(c.other_matches.length) }), h('span', { class: 'muted', text: t('cti.other_matches') })) : '',
				),
			);
			const last = c.last_interactions || [];
			el.append(
				h('div', { class: 'pop-sub', text: t('cti.last_interactions') }),
				last.length
					? h(
							'ul',
							{ class: 'pop-last' },
							last.map((i) =>
								h(
									'li',
									null,
									h('span', { class: 'tl-channel', text: t(`channel.${i.channel}`) }),
									h('time', { class: 'muted', datetime: i.occurred_at, text: dateTime(i.occurred_at) }),
									i.duration_s ? h('span', { class: 'muted', text: duration(i.duration_s) }) : '',
									i.subject ? h('div', { class: 'pop-subject', text: i.subject }) : '',
									i.outcome ? h('span', { class: `pop-outcome out-${i.outcome}`, text: i.outcome }) : '',
								),
							),
						)
					: h('div', { class: 'muted', text: t('timeline.empty') }),
				h('div', { class: 'actions' }, h('button', { type: 'button', class: 'primary', id: 'pop-open', text: t('cti.open_360'), onclick: open360 })),
			);
		}
	} else {
		el.classList.add('unknown');
		el.append(h('div', { class: 'pop-who' }, h('div', { class: 'pop-name', id: 'pop-name', text: t('cti.new_caller') }), h('div', { class: 'muted', text: t('cti.new_caller_hint') })));
		const body = (c.create && c.create.body) || { phones: number ? [{ kind: 'mobile', number }] : [] };
		if (!compact)
			el.append(
				h(
					'div',
					{ class: 'actions' },
					h('button', { type: 'button', class: 'primary', id: 'pop-create', text: t('cti.create'), onclick: () => ((pop.compact = true), drawPop(), openRecordForm('contact', null, { defaults: body })) }),
				),
			);
	}
	return el;
}

onLocaleChange(() => drawPop());
