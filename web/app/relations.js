// relations.js — issue 4 on the 360 pages: the account's org chart (an SVG tree by reports_to,
// two levels open, more on click, so a 2,000-person account draws only what is open), the
// customer's network (GET .../network?hops=2 drawn radially by hop distance), the list of
// relationships with add / edit / remove, and the position history. SVG is built with
// createElementNS and textContent only: names stay text whatever they contain.
import { api, get, patch, post, query } from './api.js';
import { h, mount, debounce } from './dom.js';
import { t, date, number } from './i18n.js';
import { navigate } from './router.js';
import { canWrite } from './state.js';
import { errorText, field, notice, openDialog } from './ui.js';

const SVG = 'http://www.w3.org/2000/svg';
export const ROLES = ['decision_maker', 'influencer', 'buyer', 'user', 'gatekeeper', 'champion', 'blocker'];
export const REL_TYPES = {
	account: ['parent', 'subsidiary', 'partner', 'competitor', 'supplier', 'customer_of', 'referred_by'],
	contact: ['reports_to', 'colleague', 'family', 'friend', 'referred_by', 'former_colleague'],
};

/* s('rect', {x: 1}, child...) — an SVG element; text only through textContent. */
function s(tag, attrs, ...children) {
	const el = document.createElementNS(SVG, tag);
	for (const [k, v] of Object.entries(attrs || {})) {
		if (v === undefined || v === null || v === false) continue;
		if (k === 'text') el.textContent = v;
		else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
		else el.setAttribute(k, String(v));
	}
	for (const c of children.flat()) if (c) el.append(c);
	return el;
}

/* Cuts text to about `units` half-width characters (a Han character counts two). */
function fit(text, units) {
	if (!text) return '';
	let used = 0;
	let out = '';
	for (const ch of text) {
		const w = ch.codePointAt(0) > 0x2e80 ? 2 : 1;
		if (used + w > units) return `${out}…`;
		used += w;
		out += ch;
	}
	return out;
}

function card(title, id, ...children) {
	return h('section', { class: 'card', id }, h('h2', { class: 'card-title', text: title }), ...children);
}

function roleBadge(role) {
	return role ? h('span', { class: `badge role role-${role}`, text: t(`org.role.${role}`) }) : '';
}

/* Clicks and Enter/Space on an SVG element that acts as a button or link. */
function activate(el, label, fn) {
	el.setAttribute('tabindex', '0');
	el.setAttribute('role', 'button');
	el.setAttribute('aria-label', label);
	el.addEventListener('click', fn);
	el.addEventListener('keydown', (e) => {
		if (e.key === 'Enter' || e.key === ' ') {
			e.preventDefault();
			fn(e);
		}
	});
	return el;
}

/* ---- the org chart ---------------------------------------------------------------------- */

const BOX_W = 176;
const BOX_H = 74;
const GAP_X = 14;
const GAP_Y = 46;
const FIRST_SHOWN = 12; // children shown before "more"

/* The org chart of an account; `focusId` (a contact) is highlighted and its managers opened. */
export function orgChartCard(accountId, focusId) {
	const box = h('div', { class: 'org-wrap', id: 'orgchart' }, h('div', { class: 'loading', text: t('common.loading') }));
	const status = h('div', { class: 'muted org-status' });
	const el = card(t('org.title'), 'org-card', status, box);
	const ready = get(`/accounts/${accountId}/orgchart`)
		.then((r) => drawOrgChart(box, status, r, focusId))
		.catch((e) => mount(box, h('div', { class: 'field-error', text: errorText(e) })));
	return { el, ready };
}

function drawOrgChart(box, status, chart, focusId) {
	if (!chart.count) {
		mount(status, '');
		mount(box, h('div', { class: 'muted', text: t('org.empty') }));
		return;
	}
	mount(status, t('org.count', { count: number(chart.count) }));
	// The account is the top box; every person a node with its own open/closed state.
	const top = { id: 0, account: chart.account, reports: chart.roots, open: true, shown: FIRST_SHOWN, depth: 0 };
	const parentOf = new Map();
	(function index(n, depth) {
		n.depth = depth;
		n.open ??= depth < 2; // the account and the first level of people are open: two levels
		n.shown ??= FIRST_SHOWN;
		for (const c of n.reports || []) {
			parentOf.set(c, n);
			index(c, depth + 1);
		}
	})(top, 0);
	if (focusId) {
		let focus = null;
		(function find(n) {
			if (n.id === focusId) focus = n;
			for (const c of n.reports || []) if (!focus) find(c);
		})(top);
		for (let n = focus, p = focus && parentOf.get(focus); p; n = p, p = parentOf.get(p)) {
			p.open = true;
			p.shown = Math.max(p.shown, p.reports.indexOf(n) + 1);
		}
	}
	function redraw(keepFocus) {
		const svg = layoutOrg(top, focusId, redraw);
		mount(box, svg);
		if (keepFocus) box.querySelector(`[data-toggle="${keepFocus}"]`)?.focus();
	}
	redraw();
	// Start with the focused person, or the top, in view.
	const target = box.querySelector('.org-node.focus') || box.querySelector('.org-node');
	if (target && box.scrollWidth > box.clientWidth) {
		const x = Number(target.dataset.x || 0);
		box.scrollLeft = Math.max(0, x - box.clientWidth / 2);
	}
}

/* Lays out what is open (each subtree as wide as its visible children) and draws it. */
function layoutOrg(top, focusId, redraw) {
	const placed = [];
	const links = [];
	let maxDepth = 0;
	function width(n) {
		const kids = n.open ? (n.reports || []).slice(0, n.shown) : [];
		const more = n.open && (n.reports || []).length > n.shown;
		let w = 0;
		for (const c of kids) w += width(c) + GAP_X;
		if (more) w += BOX_W + GAP_X;
		n._w = Math.max(BOX_W, w - GAP_X);
		return n._w;
	}
	function place(n, left, depth) {
		maxDepth = Math.max(maxDepth, depth);
		const x = left + n._w / 2;
		const y = depth * (BOX_H + GAP_Y);
		placed.push({ n, x, y });
		if (!n.open) return;
		const kids = (n.reports || []).slice(0, n.shown);
		let w = 0;
		for (const c of kids) w += c._w + GAP_X;
		const more = (n.reports || []).length > n.shown;
		if (more) w += BOX_W + GAP_X;
		let cx = left + (n._w - (w - GAP_X)) / 2;
		for (const c of kids) {
			links.push({ x1: x, y1: y + BOX_H, x2: cx + c._w / 2, y2: y + BOX_H + GAP_Y });
			place(c, cx, depth + 1);
			cx += c._w + GAP_X;
		}
		if (more) {
			const mx = cx + BOX_W / 2;
			links.push({ x1: x, y1: y + BOX_H, x2: mx, y2: y + BOX_H + GAP_Y, more: true });
			placed.push({ more: n, x: mx, y: y + BOX_H + GAP_Y, left: n.reports.length - n.shown });
			maxDepth = Math.max(maxDepth, depth + 1);
		}
	}
	width(top);
	place(top, 0, 0);
	const W = top._w + 20;
	const H = (maxDepth + 1) * (BOX_H + GAP_Y);
	const svg = s('svg', { class: 'org-svg', width: W, height: H, viewBox: `-10 -10 ${W} ${H}`, role: 'img', 'aria-label': t('org.title') });
	const lines = s('g', { class: 'org-lines' });
	for (const l of links) {
		const mid = l.y1 + GAP_Y / 2;
		lines.append(s('path', { class: `org-line${l.more ? ' dashed' : ''}`, d: `M${l.x1} ${l.y1} V${mid} H${l.x2} V${l.y2}` }));
	}
	svg.append(lines);
	for (const p of placed) svg.append(p.more ? moreBox(p, redraw) : p.n.id === 0 ? accountBox(p) : personBox(p, focusId, redraw));
	return svg;
}

function accountBox({ n, x, y }) {
	const g = s('g', { class: 'org-node org-account', transform: `translate(${x - BOX_W / 2},${y})`, 'data-x': x });
	g.append(s('rect', { width: BOX_W, height: BOX_H, rx: 8 }), s('title', { text: n.account.name }));
	g.append(s('text', { x: BOX_W / 2, y: 32, 'text-anchor': 'middle', class: 'org-name', text: fit(n.account.name, 24) }));
	g.append(s('text', { x: BOX_W / 2, y: 52, 'text-anchor': 'middle', class: 'org-sub', text: t('kind.account') }));
	return g;
}

function personBox({ n, x, y }, focusId, redraw) {
	const g = s('g', { class: `org-node org-person${n.id === focusId ? ' focus' : ''}`, transform: `translate(${x - BOX_W / 2},${y})`, 'data-id': n.id, 'data-x': x });
	const full = [n.name, n.title, n.department, n.buying_role ? t(`org.role.${n.buying_role}`) : ''].filter(Boolean).join(' · ');
	const link = activate(s('g', { class: 'org-link' }), `${n.name}${n.title ? `, ${n.title}` : ''}`, () => navigate(`/contacts/${n.id}`));
	link.append(s('rect', { width: BOX_W, height: BOX_H, rx: 8 }), s('title', { text: full }));
	link.append(s('text', { x: 10, y: 20, class: 'org-name', text: fit(n.name, 22) }));
	link.append(s('text', { x: 10, y: 38, class: 'org-sub', text: fit(n.title || '—', 26) }));
	link.append(s('text', { x: 10, y: 54, class: 'org-sub dept', text: fit(n.department || '', 26) }));
	if (n.buying_role) {
		const label = fit(t(`org.role.${n.buying_role}`), 18);
		const w = Math.min(BOX_W - 20, 10 + [...label].reduce((a, ch) => a + (ch.codePointAt(0) > 0x2e80 ? 11 : 6), 0));
		const badge = s('g', { class: `org-role role-${n.buying_role}`, transform: `translate(${BOX_W - w - 6},${BOX_H - 17})` });
		badge.append(s('rect', { width: w, height: 14, rx: 7 }), s('text', { x: w / 2, y: 10.5, 'text-anchor': 'middle', text: label }));
		link.append(badge);
	}
	g.append(link);
	const kids = (n.reports || []).length;
	if (kids) {
		const label = n.open ? t('org.collapse') : t('org.expand', { count: kids });
		const tg = activate(s('g', { class: 'org-toggle', transform: `translate(${BOX_W / 2},${BOX_H + 10})`, 'data-toggle': n.id }), label, (e) => {
			e.stopPropagation();
			n.open = !n.open;
			redraw(n.id);
		});
		tg.append(s('circle', { r: 10 }), s('text', { y: 4, 'text-anchor': 'middle', text: n.open ? '−' : kids > 99 ? '99+' : String(kids) }), s('title', { text: label }));
		g.append(tg);
	}
	return g;
}

function moreBox({ more, x, y, left }, redraw) {
	const label = t('org.more', { count: number(left) });
	const g = activate(s('g', { class: 'org-node org-more', transform: `translate(${x - BOX_W / 2},${y})`, 'data-more': more.id }), label, () => {
		more.shown += 24;
		redraw();
	});
	g.append(s('rect', { width: BOX_W, height: BOX_H, rx: 8 }), s('text', { x: BOX_W / 2, y: BOX_H / 2 + 5, 'text-anchor': 'middle', text: label }));
	return g;
}

/* ---- the network graph ----------------------------------------------------------------- */

const MAX_NODES = 120;

export function networkCard(entity, id) {
	const box = h('div', { class: 'graph-wrap', id: 'network' }, h('div', { class: 'loading', text: t('common.loading') }));
	const status = h('div', { class: 'muted graph-status' });
	const el = card(t('graph.title'), 'graph-card', status, box);
	const ready = get(`/${entity}s/${id}/network?hops=2`)
		.then((r) => drawNetwork(box, status, r))
		.catch((e) => mount(box, h('div', { class: 'field-error', text: errorText(e) })));
	return { el, ready };
}

function edgeLabel(type) {
	return t(`graph.edge.${type}`);
}

function drawNetwork(box, status, net) {
	const nodes = net.nodes.slice(0, MAX_NODES);
	const byKey = new Map(nodes.map((n) => [n.key, n]));
	const edges = net.edges.filter((e) => byKey.has(e.from) && byKey.has(e.to));
	mount(status, net.nodes.length > nodes.length || net.truncated ? t('graph.shown_of', { shown: number(nodes.length), count: number(net.nodes.length) }) : t('graph.count', { count: number(nodes.length) }));
	if (nodes.length <= 1) {
		mount(box, h('div', { class: 'muted', text: t('graph.empty') }));
		return;
	}
	// Radial by hop distance: each ring in the order of the parents' angles, so that a node sits
	// near the node it was reached from. Deterministic: the API's order breaks ties.
	const rings = [];
	for (const n of nodes) (rings[n.depth] ||= []).push(n);
	const angle = new Map();
	const parent = new Map();
	for (const e of edges) {
		const a = byKey.get(e.from);
		const b = byKey.get(e.to);
		if (a.depth + 1 === b.depth && !parent.has(b.key)) parent.set(b.key, a.key);
		if (b.depth + 1 === a.depth && !parent.has(a.key)) parent.set(a.key, b.key);
	}
	const pos = new Map();
	let R = 0;
	rings.forEach((ring, d) => {
		if (!ring) return;
		if (d === 0) {
			pos.set(ring[0].key, { x: 0, y: 0 });
			angle.set(ring[0].key, 0);
			return;
		}
		const order = ring.map((n, i) => ({ n, i, a: angle.get(parent.get(n.key)) ?? 0 }));
		order.sort((p, q) => p.a - q.a || p.i - q.i);
		const r = Math.max(R + 130, (ring.length * 64) / (2 * Math.PI));
		R = r;
		order.forEach(({ n }, k) => {
			const a = (2 * Math.PI * k) / ring.length - Math.PI / 2 + (d % 2 ? 0 : Math.PI / ring.length);
			angle.set(n.key, a < -Math.PI / 2 ? a + 2 * Math.PI : a);
			pos.set(n.key, { x: Math.round(r * Math.cos(a)), y: Math.round(r * Math.sin(a)) });
		});
	});
	const M = R + 90;
	const svg = s('svg', { class: 'graph-svg', viewBox: `${-M} ${-M} ${2 * M} ${2 * M}`, width: Math.min(2 * M, 900), role: 'img', 'aria-label': t('graph.title') });
	const gEdges = s('g', { class: 'graph-edges' });
	const gLabels = s('g', { class: 'graph-labels' });
	const labelled = edges.length <= 80;
	for (const e of edges) {
		const a = pos.get(e.from);
		const b = pos.get(e.to);
		const cls = `graph-edge type-${e.type}${e.relationship_id ? ' rel' : ''}`;
		gEdges.append(s('line', { class: cls, x1: a.x, y1: a.y, x2: b.x, y2: b.y, 'stroke-width': e.strength ? 0.6 + e.strength * 0.5 : 1.2, 'data-type': e.type }, s('title', { text: edgeLabel(e.type) })));
		if (labelled) gLabels.append(s('text', { class: 'graph-edge-label', x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 - 3, 'text-anchor': 'middle', text: edgeLabel(e.type) }));
	}
	const gNodes = s('g', { class: 'graph-nodes' });
	for (const n of nodes) {
		const p = pos.get(n.key);
		const g = activate(s('g', { class: `graph-node kind-${n.kind}${n.depth === 0 ? ' center' : ''}`, transform: `translate(${p.x},${p.y})`, 'data-key': n.key }), n.name, () => navigate(`/${n.kind}s/${n.id}`));
		const sub = [n.title, n.buying_role ? t(`org.role.${n.buying_role}`) : ''].filter(Boolean).join(' · ');
		g.append(s('title', { text: sub ? `${n.name} — ${sub}` : n.name }));
		g.append(n.kind === 'account' ? s('rect', { x: -13, y: -13, width: 26, height: 26, rx: 5 }) : s('circle', { r: n.depth === 0 ? 15 : 12 }));
		g.append(s('text', { class: 'graph-name', y: 30, 'text-anchor': 'middle', text: fit(n.name, 18) }));
		gNodes.append(g);
	}
	svg.append(gEdges, gLabels, gNodes);
	const legend = h(
		'div',
		{ class: 'graph-legend' },
		h('span', { class: 'lg lg-contact', text: t('kind.contact') }),
		h('span', { class: 'lg lg-account', text: t('kind.account') }),
		h('span', { class: 'lg lg-rel', text: t('graph.legend_rel') }),
	);
	mount(box, svg, legend);
}

/* ---- relationships ----------------------------------------------------------------------- */

/* "Referred by {name}" with the other customer's name as a link. */
function phrase(rel) {
	const tpl = t(`rel.${rel.direction}.${rel.type}`);
	const [before, after = ''] = tpl.split('{name}');
	const link = h('a', { href: `/${rel.other.kind}s/${rel.other.id}`, class: 'rel-other', text: rel.other.name ?? `#${rel.other.id}` });
	return h('span', { class: 'rel-phrase' }, before, link, after);
}

function strengthDots(n) {
	return h('span', { class: 'strength', title: t('rel.strength_n', { n }), 'aria-label': t('rel.strength_n', { n }), text: '●'.repeat(n) + '○'.repeat(5 - n) });
}

export function relationshipsCard(entity, id, relationships, onChange) {
	const list = h('ul', { class: 'rels', id: 'relationships' });
	const writable = canWrite('relationship');
	for (const r of relationships) {
		const period = r.valid_from || r.valid_to ? `${r.valid_from ? date(r.valid_from) : '…'} – ${r.valid_to ? date(r.valid_to) : t('rel.open_end')}` : '';
		const actions = [];
		if (writable) {
			const remove = h('button', { type: 'button', class: 'small rel-remove', text: t('action.remove') });
			remove.addEventListener('click', async () => {
				if (!remove.classList.contains('confirm')) {
					remove.classList.add('confirm');
					remove.textContent = t('rel.confirm_remove');
					return;
				}
				remove.disabled = true;
				try {
					await api('DELETE', `/relationships/${r.id}`);
					notice(t('rel.removed'));
					onChange();
				} catch (e) {
					remove.disabled = false;
					notice(errorText(e), 'error');
				}
			});
			actions.push(h('button', { type: 'button', class: 'small rel-edit', text: t('action.edit'), onclick: () => openRelationshipForm(entity, id, r, onChange) }), remove);
		}
		list.append(
			h(
				'li',
				{ class: 'rel', dataset: { id: r.id, type: r.type } },
				h('div', { class: 'rel-main' }, phrase(r), strengthDots(r.strength)),
				r.note ? h('div', { class: 'rel-note prewrap', text: r.note }) : '',
				period ? h('div', { class: 'muted rel-period', text: period }) : '',
				actions.length ? h('div', { class: 'actions rel-actions' }, actions) : '',
			),
		);
	}
	const add = writable ? h('button', { type: 'button', class: 'small', id: 'rel-add', text: t('rel.add'), onclick: () => openRelationshipForm(entity, id, null, onChange) }) : '';
	return card(t('rel.title', { count: number(relationships.length) }), 'rel-card', relationships.length ? list : h('div', { class: 'muted', text: t('rel.empty') }), add);
}

/* Type-ahead over /search for a customer of one kind; value() is the id or null. */
function customerPicker(kind, exclude) {
	const input = h('input', { type: 'search', autocomplete: 'off', placeholder: t('rel.pick_hint'), id: 'rel-other' });
	const results = h('ul', { class: 'picker-results', role: 'listbox' });
	results.hidden = true;
	let chosen = null;
	let seq = 0;
	const find = debounce(async () => {
		const q = input.value.trim();
		const mine = ++seq;
		if (!q) return (results.hidden = true);
		try {
			const r = await get(`/search${query({ q, limit: 8 })}`);
			if (mine !== seq) return;
			const hits = r.data.filter((x) => x.kind === kind && x.id !== exclude);
			mount(
				results,
				hits.length
					? hits.map((x) =>
							h('li', null, h('button', { type: 'button', class: 'pick', dataset: { id: x.id }, onclick: () => ((chosen = x.id), (input.value = x.name), (results.hidden = true)) }, x.name, x.account_name ? h('span', { class: 'muted', text: ` · ${x.account_name}` }) : '')),
						)
					: h('li', { class: 'muted', text: t('search.none') }),
			);
			results.hidden = false;
		} catch (e) {
			mount(results, h('li', { class: 'field-error', text: errorText(e) }));
			results.hidden = false;
		}
	}, 200);
	input.addEventListener('input', () => ((chosen = null), find()));
	return { el: h('div', { class: 'picker' }, input, results), input, value: () => chosen };
}

function openRelationshipForm(entity, id, rel, onChange) {
	const dialog = openDialog(t(rel ? 'rel.edit' : 'rel.add'));
	const fields = {};
	let other = null;
	if (!rel) {
		other = customerPicker(entity, id);
		fields.to_id = field(t(`rel.other_${entity}`) + ' *', other.input);
		fields.to_id.row.replaceChild(other.el, other.input);
		other.el.prepend(other.input);
	}
	const typeSel = h('select', { name: 'type', id: 'rel-type' }, REL_TYPES[entity].map((ty) => h('option', { value: ty, selected: rel ? rel.type === ty : false, text: t(`rel.type.${ty}`) })));
	fields.type = field(t('rel.type'), typeSel);
	const strength = h('select', { name: 'strength', id: 'rel-strength' }, [1, 2, 3, 4, 5].map((n) => h('option', { value: n, selected: (rel ? rel.strength : 3) === n, text: `${n} · ${t(`rel.strength.${n}`)}` })));
	fields.strength = field(t('rel.strength'), strength);
	const note = h('textarea', { name: 'note', id: 'rel-note', rows: 3, maxlength: 2000 });
	note.value = rel?.note || '';
	fields.note = field(t('rel.note'), note);
	const from = h('input', { type: 'date', name: 'valid_from', id: 'rel-from', value: rel?.valid_from || '' });
	const to = h('input', { type: 'date', name: 'valid_to', id: 'rel-to', value: rel?.valid_to || '' });
	fields.valid_from = field(t('rel.valid_from'), from);
	fields.valid_to = field(t('rel.valid_to'), to);
	const formError = h('div', { class: 'form-error', role: 'alert' });
	formError.hidden = true;
	const save = h('button', { type: 'submit', class: 'primary', id: 'rel-save', text: t('action.save') });
	const form = h(
		'form',
		{ class: 'record-form', novalidate: true },
		fields.to_id?.row,
		rel ? h('div', { class: 'rel-fixed' }, phrase(rel)) : '',
		h('div', { class: 'row2' }, fields.type.row, fields.strength.row),
		fields.note.row,
		h('div', { class: 'row2' }, fields.valid_from.row, fields.valid_to.row),
		formError,
		h('div', { class: 'actions' }, save, h('button', { type: 'button', text: t('action.cancel'), onclick: () => dialog.close() })),
	);
	form.addEventListener('submit', async (e) => {
		e.preventDefault();
		Object.values(fields).forEach((f) => f.error(null));
		formError.hidden = true;
		const body = { type: typeSel.value, strength: Number(strength.value), note: note.value.trim() || null, valid_from: from.value || null, valid_to: to.value || null };
		if (!rel) {
			const to_id = other.value();
			if (!to_id) return fields.to_id.error(t('rel.pick_required'));
			Object.assign(body, { from_kind: entity, from_id: id, to_kind: entity, to_id });
		}
		save.disabled = true;
		try {
			if (rel) {
				// The ends and, for an incoming one, its type as recorded stay; only what may change.
				if (rel.direction === 'in') delete body.type;
				await patch(`/relationships/${rel.id}`, { ...body, version: rel.version });
			} else await post('/relationships', body);
			dialog.close();
			notice(t('common.saved'));
			onChange();
		} catch (err) {
			const f = fields[err.field === 'from_id' || err.field === 'to_kind' ? 'to_id' : err.field];
			if (err.status === 409 && err.field === 'version') {
				formError.textContent = t('rel.conflict');
				formError.hidden = false;
			} else if (f && err.field) f.error(err.message);
			else {
				formError.textContent = err.status === 409 ? t('rel.duplicate') : errorText(err);
				formError.hidden = false;
			}
		} finally {
			save.disabled = false;
		}
	});
	// An incoming relationship is read from the other end: its type cannot be turned round here.
	if (rel && rel.direction === 'in') typeSel.disabled = true;
	mount(dialog.body, form);
	(other ? other.input : typeSel).focus();
}

/* ---- positions --------------------------------------------------------------------------- */

export function positionsCard(entity, id) {
	const tbody = h('tbody');
	const status = h('div', { class: 'muted' });
	const more = h('button', { type: 'button', class: 'more', text: t('org.positions_more') });
	more.hidden = true;
	let cursor = null;
	const cols = entity === 'contact' ? ['period', 'account', 'title', 'department', 'buying_role'] : ['period', 'contact', 'title', 'department', 'buying_role'];
	const table = h('table', { class: 'data-table compact', id: 'positions' }, h('thead', null, h('tr', null, cols.map((c) => h('th', { text: t(`org.col.${c}`) })))), tbody);
	async function load() {
		more.disabled = true;
		try {
			const r = await get(`/${entity}s/${id}/positions${query({ limit: entity === 'account' ? 20 : undefined, cursor })}`);
			for (const p of r.data) {
				const other = entity === 'contact' ? p.account : p.contact;
				const kind = entity === 'contact' ? 'accounts' : 'contacts';
				tbody.append(
					h(
						'tr',
						{ class: p.valid_to ? '' : 'current' },
						h('td', { class: 'period', text: `${date(p.valid_from)} – ${p.valid_to ? date(p.valid_to) : t('org.now')}` }),
						h('td', null, other ? h('a', { href: `/${kind}/${other.id}`, text: other.name ?? `#${other.id}` }) : '—'),
						h('td', { text: p.title || '—' }),
						h('td', { text: p.department || '—' }),
						h('td', null, roleBadge(p.buying_role)),
					),
				);
			}
			cursor = r.next_cursor || null;
			more.hidden = !cursor;
			mount(status, tbody.childElementCount ? '' : t('org.positions_empty'));
		} catch (e) {
			mount(status, errorText(e));
		} finally {
			more.disabled = false;
		}
	}
	more.addEventListener('click', load);
	return { el: card(t('org.positions'), 'positions-card', h('div', { class: 'table-wrap' }, table), status, more), ready: load() };
}

/* The department and buying role under a contact's name. */
export function orgLine(record) {
	const parts = [];
	if (record.department) parts.push(h('span', { class: 'dept', text: record.department }));
	if (record.buying_role) parts.push(roleBadge(record.buying_role));
	return parts;
}

/* Adds issue 4's cards to a drawn 360 page: the org chart and the network after the figures,
 * the relationships and the position history in the side column. Returns when they are drawn. */
export function mountRelations(main, entity, id, data, page) {
	const side = main.querySelector('.col-side');
	const figures = main.querySelector('.col-main > .card');
	const accountId = entity === 'account' ? id : data.account?.id;
	const org = accountId ? orgChartCard(accountId, entity === 'contact' ? id : null) : null;
	const graph = networkCard(entity, id);
	const positions = positionsCard(entity, id);
	const rerender = () => page.rerender();
	figures?.after(...[org?.el, graph.el].filter(Boolean));
	side?.append(relationshipsCard(entity, id, data.relationships || [], rerender), positions.el);
	return Promise.all([org?.ready, graph.ready, positions.ready]);
}
