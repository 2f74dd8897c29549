// quality.js — data quality (issue 5): the quality report (completeness per field, invalid values,
// duplicate clusters of contacts and of accounts, stale records, per owner), the duplicate review
// (contacts or accounts: candidate pairs side by side, "not a duplicate", merge field by field,
// undo), and the warnings and likely duplicates around a save.
import { get, post, query } from './api.js';
import { h, mount, append, debounce } from './dom.js';
import { t, has, number, dateTime } from './i18n.js';
import { FIELDS, display } from './fields.js';
import { state, userName } from './state.js';
import { errorText, notice, openDialog, spinner } from './ui.js';

const card = (title, ...children) => h('section', { class: 'card' }, h('h2', { class: 'card-title', text: title }), ...children);
const pct = (v) => `${number(Math.round(v * 10) / 10)}%`;

/* A horizontal bar for a percentage; the width is set through the CSSOM (the CSP allows no
 * inline style attributes). */
function bar(label, value, key) {
	const fill = h('div', { class: 'q-fill' });
	fill.style.width = `${Math.max(0, Math.min(100, value))}%`;
	if (value < 50) fill.classList.add('low');
	else if (value < 80) fill.classList.add('mid');
	return h(
		'div',
		{ class: 'q-row', dataset: { field: key } },
		h('div', { class: 'q-label', text: label }),
		h('div', { class: 'q-bar', role: 'meter', 'aria-valuemin': '0', 'aria-valuemax': '100', 'aria-valuenow': String(value), 'aria-label': label }, fill),
		h('div', { class: 'q-value', text: pct(value) }),
	);
}

function figure(key, value, href) {
	const v = h('div', { class: 'figure-value', text: number(value) });
	return h('div', { class: 'figure', dataset: { figure: key } }, href ? h('a', { href }, v) : v, h('div', { class: 'figure-label', text: t(`quality.${key}`) }));
}

const canScan = () => ['admin', 'manager'].includes(state.me && state.me.role);

/* GET /quality?stale_months= */
export async function renderQuality(main, params) {
	const months = h('input', { type: 'number', id: 'stale-months', name: 'stale_months', min: '1', max: '240', class: 'narrow', value: params.get('stale') || '12' });
	const body = h('div', { class: 'q-body' }, spinner());
	mount(
		main,
		h('div', { class: 'page-head' }, h('h1', { text: t('quality.title') }), h('div', { class: 'actions' }, h('label', { class: 'filter' }, h('span', { text: t('quality.stale_months') }), months), h('a', { href: '/duplicates', class: 'button-link', text: t('dup.review') }))),
		body,
	);
	let seq = 0;
	async function load() {
		const mine = ++seq;
		const m = /^\d+$/.test(months.value) && +months.value >= 1 && +months.value <= 240 ? +months.value : 12;
		let r;
		try {
			r = await get(`/quality${query({ stale_months: m })}`);
		} catch (e) {
			if (mine === seq) mount(body, h('div', { class: 'error', role: 'alert', text: errorText(e) }));
			return;
		}
		if (mine !== seq) return;
		const c = r.contacts;
		const a = r.accounts;
		const d = r.duplicates;
		const bars = (comp) => Object.entries(comp).map(([k, v]) => bar(t(`field.${k}`), v, k));
		const owners = h(
			'table',
			{ class: 'data-table compact', id: 'quality-owners' },
			h('thead', null, h('tr', null, ['owner', 'contacts', 'stale', 'unreachable', 'invalid_phones', 'invalid_emails'].map((k, i) => h('th', { class: i ? 'num' : '', text: t(`quality.col_${k}`) })))),
			h(
				'tbody',
				null,
				r.owners.length
					? r.owners.map((o) =>
							h(
								'tr',
								{ dataset: { owner: o.owner_id } },
								h('td', null, h('a', { href: `/contacts?owner=${o.owner_id}`, text: userName(o.owner_id) !== `#${o.owner_id}` ? userName(o.owner_id) : o.username })),
								[o.contacts, o.stale, o.unreachable, o.invalid_phones, o.invalid_emails].map((n, i) => h('td', { class: `num ${i && n ? 'q-bad' : ''}`, text: number(n) })),
							),
						)
					: h('tr', null, h('td', { colspan: 6, class: 'empty', text: t('quality.no_owners') })),
			),
		);
		mount(
			body,
			h('p', { class: 'muted', id: 'quality-generated', text: t('quality.generated', { when: dateTime(r.generated_at), months: number(r.stale_months) }) }),
			h(
				'div',
				{ class: 'q-figures figures', id: 'quality-figures' },
				figure('contacts_total', c.total, '/contacts'),
				figure('contacts_stale', c.stale),
				figure('accounts_total', a.total, '/accounts'),
				figure('accounts_stale', a.stale),
				figure('dup_pairs', d.pairs, '/duplicates'),
				figure('dup_clusters', d.clusters, '/duplicates'),
				figure('dup_records', d.records, '/duplicates'),
				figure('account_dup_pairs', a.duplicates.pairs, '/duplicates?kind=account'),
				figure('account_dup_clusters', a.duplicates.clusters, '/duplicates?kind=account'),
			),
			h(
				'div',
				{ class: 'q-grid' },
				card(t('quality.contacts_completeness'), h('div', { class: 'q-bars', id: 'quality-contacts' }, bars(c.completeness))),
				card(t('quality.accounts_completeness'), h('div', { class: 'q-bars', id: 'quality-accounts' }, bars(a.completeness))),
				card(
					t('quality.invalid'),
					h(
						'dl',
						{ class: 'q-invalid', id: 'quality-invalid' },
						Object.entries(c.invalid).map(([k, n]) => [h('dt', { text: t(`quality.invalid_${k}`) }), h('dd', { class: n ? 'q-bad' : '', dataset: { invalid: k }, text: number(n) })]),
					),
				),
			),
			card(t('quality.per_owner'), h('div', { class: 'table-wrap' }, owners)),
		);
		main.dataset.ready = 'quality';
	}
	months.addEventListener(
		'input',
		debounce(() => {
			if (!/^\d+$/.test(months.value) || +months.value < 1 || +months.value > 240) return;
			params.set('stale', months.value);
			history.replaceState(null, '', `/quality?${params}`);
			load();
		}, 300),
	);
	await load();
}

/* ---- duplicates --------------------------------------------------------------------------- */

/* kind: 'contact' or 'account'; an account reason has wording of its own where it differs. */
function reasonText(r, kind = 'contact') {
	if (kind === 'account' && has(`dup.account_reason.${r.code}`)) return t(`dup.account_reason.${r.code}`);
	return has(`dup.reason.${r.code}`) ? t(`dup.reason.${r.code}`) : r.text || r.code;
}

function personCol(c, side) {
	const acc = FIELDS.contact.find((s) => s.name === 'account_id');
	return h(
		'div',
		{ class: 'dup-person', dataset: { side, id: c.id } },
		h('a', { href: `/contacts/${c.id}`, class: 'dup-name', text: c.name }),
		h('div', { class: 'muted', text: `#${c.id}` }),
		c.title ? h('div', { text: c.title }) : '',
		c.account_id ? h('div', null, display(acc, c.account_id)) : '',
		(c.phones || []).map((p) => h('div', { class: 'dup-point', text: `☎ ${p.number}` })),
		(c.emails || []).map((e) => h('div', { class: 'dup-point', text: `✉ ${e.address}` })),
		h('div', { class: 'muted', text: `${t('field.owner_id')}: ${userName(c.owner_id)}` }),
	);
}

function companyCol(a, side) {
	const parent = FIELDS.account.find((s) => s.name === 'parent_id');
	return h(
		'div',
		{ class: 'dup-person dup-company', dataset: { side, id: a.id } },
		h('a', { href: `/accounts/${a.id}`, class: 'dup-name', text: a.name }),
		h('div', { class: 'muted', text: `#${a.id}` }),
		a.industry ? h('div', { text: a.industry }) : '',
		a.website ? h('div', { class: 'dup-point', text: `🌐 ${a.website}` }) : '',
		a.parent_id ? h('div', null, display(parent, a.parent_id)) : '',
		h('div', { class: 'muted', text: `${t('field.owner_id')}: ${userName(a.owner_id)}` }),
	);
}

const MERGES_KEY = 'gx.merges';
function recentMerges() {
	try {
		return JSON.parse(sessionStorage.getItem(MERGES_KEY) || '[]');
	} catch {
		return [];
	}
}
function rememberMerges(list) {
	sessionStorage.setItem(MERGES_KEY, JSON.stringify(list.slice(0, 10)));
}

/* GET /duplicates?kind=account: the accounts' pairs; contacts' without. */
export async function renderDuplicates(main, params = new URLSearchParams()) {
	let kind = params.get('kind') === 'account' ? 'account' : 'contact';
	const list = h('div', { class: 'dup-list', id: 'dup-list' });
	const intro = h('p', { class: 'muted', id: 'dup-intro' });
	const status = h('div', { class: 'muted', role: 'status', id: 'dup-status' });
	const more = h('button', { type: 'button', class: 'more', id: 'dup-more', text: t('dup.more') });
	const merges = h('div', { id: 'dup-merges' });
	const actions = [];
	if (canScan()) {
		const scan = h('button', { type: 'button', class: 'primary', id: 'dup-scan', text: t('dup.scan') });
		scan.addEventListener('click', async () => {
			scan.disabled = true;
			mount(status, t('dup.scanning'));
			try {
				const r = await post(`/duplicates/scan${query({ kind })}`);
				const seconds = number(Math.round(r.seconds * 10) / 10);
				notice(kind === 'account' ? t('dup.scanned_accounts', { accounts: number(r.accounts), pairs: number(r.pairs), seconds }) : t('dup.scanned', { contacts: number(r.contacts), pairs: number(r.pairs), seconds }));
				await reload();
			} catch (e) {
				mount(status, errorText(e));
			} finally {
				scan.disabled = false;
			}
		});
		actions.push(scan);
	}
	const kinds = h(
		'div',
		{ class: 'chips', role: 'group', id: 'dup-kind', 'aria-label': t('dup.kind_label') },
		['contact', 'account'].map((k) =>
			h('button', {
				type: 'button',
				class: 'chip',
				id: `dup-kind-${k}`,
				dataset: { kind: k },
				text: t(`dup.kind_${k}s`),
				onclick: () => {
					if (kind === k) return;
					kind = k;
					history.replaceState(null, '', k === 'account' ? '/duplicates?kind=account' : '/duplicates');
					showKind();
					reload();
				},
			}),
		),
	);
	function showKind() {
		for (const b of kinds.querySelectorAll('.chip')) {
			b.classList.toggle('active', b.dataset.kind === kind);
			b.setAttribute('aria-pressed', String(b.dataset.kind === kind));
		}
		mount(intro, t(kind === 'account' ? 'dup.intro_account' : 'dup.intro'));
	}
	mount(
		main,
		h('div', { class: 'page-head' }, h('div', null, h('div', { class: 'crumb' }, h('a', { href: '/quality', text: t('quality.title') })), h('h1', { text: t('dup.title') })), h('div', { class: 'actions' }, actions)),
		kinds,
		intro,
		merges,
		list,
		status,
		more,
	);

	function showMerges() {
		const done = recentMerges();
		if (!done.length) return mount(merges);
		mount(
			merges,
			card(
				t('merge.recent'),
				h(
					'ul',
					{ class: 'merge-list' },
					done.map((m) => {
						const undo = h('button', { type: 'button', class: 'small merge-undo', dataset: { merge: m.merge_id }, text: t('merge.undo') });
						undo.addEventListener('click', async () => {
							undo.disabled = true;
							try {
								await post(`/merges/${m.merge_id}/undo`);
								rememberMerges(recentMerges().filter((x) => x.merge_id !== m.merge_id));
								notice(t('merge.undone', { name: m.merged_name }));
								showMerges();
								reload();
							} catch (e) {
								undo.disabled = false;
								notice(errorText(e), 'error');
							}
						});
						return h(
							'li',
							{ dataset: { merge: m.merge_id } },
							h('span', { text: t('merge.done_line', { merged: m.merged_name, moved: number(m.moved) }) }),
							' ',
							h('a', { href: `/${m.entity || 'contact'}s/${m.survivor_id}`, class: 'merge-survivor', text: m.survivor_name }),
							' ',
							undo,
						);
					}),
				),
			),
		);
	}

	let cursor = null;
	let seq = 0;
	function pairCard(p, pairKind) {
		const el = h('article', { class: 'card dup-pair', dataset: { a: p.a.id, b: p.b.id, kind: pairKind } });
		const dismiss = h('button', { type: 'button', class: 'dup-dismiss', text: t('dup.dismiss') });
		dismiss.addEventListener('click', async () => {
			dismiss.disabled = true;
			try {
				await post('/duplicates/dismiss', { kind: pairKind, a: p.a.id, b: p.b.id });
				el.remove();
				notice(t('dup.dismissed'));
			} catch (e) {
				dismiss.disabled = false;
				notice(errorText(e), 'error');
			}
		});
		const merge = h('button', { type: 'button', class: 'primary dup-merge', text: t('dup.merge') });
		merge.addEventListener('click', () =>
			openMergeDialog(
				p.a,
				p.b,
				(res, merged) => {
					el.remove();
					rememberMerges([{ merge_id: res.merge_id, entity: pairKind, survivor_id: res.survivor.id, survivor_name: res.survivor.name, merged_name: merged.name, moved: Object.values(res.moved || {}).reduce((s, n) => s + n, 0) }, ...recentMerges()]);
					showMerges();
				},
				pairKind,
			),
		);
		const col = pairKind === 'account' ? companyCol : personCol;
		mount(
			el,
			h(
				'div',
				{ class: 'dup-head' },
				h('span', { class: 'dup-score', title: t('dup.score'), text: number(p.score) }),
				h('ul', { class: 'dup-reasons' }, p.reasons.map((r) => h('li', { class: r.points < 0 ? 'neg' : '', dataset: { code: r.code } }, reasonText(r, pairKind), h('span', { class: 'muted', text: ` ${r.points > 0 ? '+' : ''}${r.points}` })))),
			),
			h('div', { class: 'dup-sides' }, col(p.a, 'a'), col(p.b, 'b')),
			h('div', { class: 'actions' }, merge, dismiss),
		);
		return el;
	}
	async function loadMore() {
		const mine = seq;
		const shown = kind;
		more.disabled = true;
		try {
			const r = await get(`/duplicates${query({ kind: shown, limit: 20, cursor })}`);
			if (mine !== seq) return;
			append(list, r.data.map((p) => pairCard(p, shown)));
			cursor = r.next_cursor;
			more.hidden = !cursor;
			mount(status, list.childElementCount ? '' : t('dup.none'));
		} catch (e) {
			mount(status, errorText(e));
		} finally {
			more.disabled = false;
		}
		main.dataset.ready = 'duplicates';
	}
	function reload() {
		seq++;
		cursor = null;
		mount(list);
		return loadMore();
	}
	more.addEventListener('click', loadMore);
	showKind();
	showMerges();
	await reload();
}

/* The merge dialog of two contacts or (entity 'account') two accounts: pick the record that
 * stays, then for each field that differs which value survives (lists may keep both).
 * onMerged(reply, mergedRecord). */
export function openMergeDialog(a, b, onMerged, entity = 'contact') {
	const dialog = openDialog(t(entity === 'account' ? 'merge.title_account' : 'merge.title'));
	let survivor = a;
	let merged = b;
	const choice = {};
	const table = h('table', { class: 'data-table compact merge-table', id: 'merge-table' });
	const formError = h('div', { class: 'form-error', role: 'alert' });
	formError.hidden = true;
	const keep = (rec) => h('label', { class: 'merge-keep' }, h('input', { type: 'radio', name: 'merge-survivor', value: String(rec.id), checked: rec === survivor, onchange: () => ((survivor = rec), (merged = rec === a ? b : a), draw()) }), h('span', { text: `${rec.name} (#${rec.id})` }));
	const empty = (v) => v === null || v === undefined || v === '' || (Array.isArray(v) && !v.length) || (typeof v === 'object' && !Array.isArray(v) && !Object.keys(v).length);
	function draw() {
		const rows = [];
		for (const spec of FIELDS[entity]) {
			const k = spec.name;
			const sv = survivor[k];
			const mv = merged[k];
			if (JSON.stringify(sv ?? null) === JSON.stringify(mv ?? null) || (empty(sv) && empty(mv))) continue;
			const multi = ['phones', 'emails', 'addresses', 'tags'].includes(k) || k === 'notes';
			const dflt = ['phones', 'emails', 'addresses', 'tags'].includes(k) ? 'both' : empty(sv) ? 'merged' : 'survivor';
			if (!choice[k] || (choice[k] === 'both' && !multi)) choice[k] = dflt;
			const radio = (val) => h('input', { type: 'radio', name: `merge-${k}`, value: val, checked: choice[k] === val, 'aria-label': `${t(`field.${k}`)}: ${t(`merge.${val}`)}`, onchange: () => (choice[k] = val) });
			rows.push(
				h(
					'tr',
					{ dataset: { field: k } },
					h('th', { scope: 'row', text: t(`field.${k}`) }),
					h('td', null, h('label', { class: 'merge-cell' }, radio('survivor'), h('span', null, display(spec, sv)))),
					h('td', null, h('label', { class: 'merge-cell' }, radio('merged'), h('span', null, display(spec, mv)))),
					h('td', null, multi ? h('label', { class: 'merge-cell' }, radio('both'), h('span', { text: t('merge.both') })) : ''),
				),
			);
		}
		mount(
			table,
			h('thead', null, h('tr', null, h('th', { text: t('merge.field') }), h('th', { text: t('merge.keeps', { name: survivor.name }) }), h('th', { text: t('merge.goes', { name: merged.name }) }), h('th', { text: t('merge.both') }))),
			h('tbody', null, rows.length ? rows : h('tr', null, h('td', { colspan: 4, class: 'empty', text: t('merge.same') }))),
		);
	}
	const go = h('button', { type: 'button', class: 'primary', id: 'merge-confirm', text: t('merge.confirm') });
	go.addEventListener('click', async () => {
		go.disabled = true;
		formError.hidden = true;
		const fields = {};
		for (const row of table.querySelectorAll('tbody tr[data-field]')) fields[row.dataset.field] = choice[row.dataset.field];
		try {
			const res = await post(`/${entity}s/merge`, { survivor: survivor.id, merged: merged.id, fields });
			dialog.close();
			notice(t('merge.success', { name: res.survivor.name }));
			onMerged && onMerged(res, merged);
		} catch (e) {
			mount(formError, errorText(e));
			formError.hidden = false;
		} finally {
			go.disabled = false;
		}
	});
	draw();
	mount(
		dialog.body,
		h('div', { class: 'merge-form' }, h('p', { text: t('merge.pick_survivor') }), h('div', { class: 'merge-survivors' }, keep(a), keep(b)), h('p', { class: 'muted', text: t('merge.explain') }), h('div', { class: 'table-wrap' }, table), formError, h('div', { class: 'actions' }, go, h('button', { type: 'button', text: t('action.cancel'), onclick: () => dialog.close() }))),
	);
	dialog.el.classList.add('wide');
	return dialog;
}

/* ---- warnings and possible duplicates around a save -------------------------------------- */

/* Shows the non-blocking warnings of a create/update reply (if any) in a box that stays until
 * closed or for 15 seconds. */
export function showWarnings(saved) {
	const list = saved && Array.isArray(saved.warnings) ? saved.warnings : [];
	document.getElementById('save-warnings')?.remove();
	if (!list.length) return;
	const box = h(
		'div',
		{ id: 'save-warnings', class: 'save-warnings', role: 'status', 'aria-live': 'polite' },
		h('button', { type: 'button', class: 'icon', 'aria-label': t('action.close'), text: '×', onclick: () => box.remove() }),
		h('strong', { text: t('quality.saved_with_warnings') }),
		h('ul', null, list.map((w) => h('li', { dataset: { code: w.code } }, has(`quality.warning.${w.code}`) ? t(`quality.warning.${w.code}`) : w.message, w.field ? h('span', { class: 'muted', text: ` (${w.field})` }) : ''))),
	);
	document.body.append(box);
	setTimeout(() => box.remove(), 15000);
}

/* Before a new contact or account is saved: GET /duplicates/check with what the form holds.
 * Resolves to the candidates (empty when none or when the check itself fails: it must never
 * block). */
export async function checkDuplicates(body, entity = 'contact') {
	const q =
		entity === 'account'
			? { kind: 'account', name: body.name || '', website: body.website || '' }
			: {
					name: body.name || '',
					phone: body.phones && body.phones[0] ? body.phones[0].number : '',
					email: body.emails && body.emails[0] ? body.emails[0].address : '',
					account_id: body.account_id || '',
				};
	if (!q.name && !q.phone && !q.email && !q.website) return [];
	try {
		return (await get(`/duplicates/check${query(q)}`)).data || [];
	} catch {
		return [];
	}
}

/* The warning shown in the form: the likely duplicates with links (opened in a new tab so the
 * form stays), and the way on. */
export function duplicateWarning(candidates, saveAnyway, entity = 'contact') {
	return h(
		'div',
		{ class: 'dup-warning', role: 'alert', id: 'dup-warning' },
		h('strong', { text: t(entity === 'account' ? 'dup.warning_title_account' : 'dup.warning_title') }),
		h(
			'ul',
			null,
			candidates.map((c) => h('li', { dataset: { id: c.id } }, h('a', { href: `/${entity}s/${c.id}`, target: '_blank', rel: 'noopener', text: c.name }), h('span', { class: 'muted', text: ` ${t('dup.score')} ${number(c.score)} · ${c.reasons.map((r) => reasonText(r, entity)).join(', ')}` }))),
		),
		h('div', { class: 'actions' }, h('button', { type: 'button', class: 'primary', id: 'dup-save-anyway', text: t('dup.save_anyway'), onclick: saveAnyway })),
	);
}
