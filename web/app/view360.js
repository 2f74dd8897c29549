// view360.js — the 360 pages of a contact and of an account: the profile, edited one field at a
// time in place (the API's validation message appears next to the field); the derived figures;
// the interaction timeline across channels (filter by channel, 50 at a time, more on scroll);
// purchase history; and an account's people. Logging a call, visit or note is one short form.
import { get, patch, query } from './api.js';
import { h, mount, append } from './dom.js';
import { t, dateTime, date, money, number, duration } from './i18n.js';
import { FIELDS, display, editor, splitField } from './fields.js';
import { CHANNELS, explainConflict, openInteractionForm, openRecordForm } from './forms.js';
import { forgetAccount } from './names.js';
import { canWrite, userName } from './state.js';
import { errorText, notice, spinner, tierBadge } from './ui.js';
import { mountRelations, orgLine } from './relations.js';
import { showWarnings } from './quality.js';
import { privacyCard } from './privacy.js';

const TIMELINE_PAGE = 50;
const ORDERS_PAGE = 20;

function card(title, ...children) {
	return h('section', { class: 'card' }, h('h2', { class: 'card-title', text: title }), ...children);
}

/* The profile card: one row per field, each editable in place. */
function profileCard(entity, page) {
	const body = h('div', { class: 'props' });
	const writable = canWrite(entity);
	function row(spec) {
		const value = h('div', { class: 'prop-value' }, display(spec, page.record[spec.name]));
		const el = h('div', { class: 'prop', dataset: { field: spec.name } }, h('div', { class: 'prop-label', text: t(`field.${spec.name}`) }), value);
		if (writable)
			el.append(h('button', { type: 'button', class: 'icon edit-field', title: t('action.edit'), 'aria-label': `${t('action.edit')} ${t(`field.${spec.name}`)}`, text: '✎', onclick: () => edit() }));
		function edit() {
			const ed = editor(spec, page.record[spec.name]);
			const err = h('div', { class: 'field-error', role: 'alert' });
			err.hidden = true;
			const showError = (msg, index) => {
				if (ed.error && ed.error(msg, index)) return;
				err.hidden = !msg;
				mount(err, msg || '');
				if (ed.input) ed.input.setAttribute('aria-invalid', msg ? 'true' : 'false');
			};
			const save = h('button', { type: 'button', class: 'primary small save-field', text: t('action.save') });
			const cancel = h('button', { type: 'button', class: 'small', text: t('action.cancel'), onclick: () => el.replaceWith(row(spec)) });
			async function submit() {
				showError(null);
				const v = ed.value();
				if (JSON.stringify(v) === JSON.stringify(page.record[spec.name] ?? null)) return el.replaceWith(row(spec));
				if (spec.required && v === null) return showError(t('error.required'));
				save.disabled = true;
				try {
					const saved = await patch(`/${entity}s/${page.record.id}`, { [spec.name]: v, version: page.record.version });
					if (entity === 'account') forgetAccount(saved.id);
					page.record = saved;
					notice(t('common.saved'));
					showWarnings(saved);
					if (spec.name === 'name') page.refreshHead();
					el.replaceWith(row(spec));
				} catch (e) {
					if (e.status === 409 && e.field === 'version') {
						explainConflict(page.conflictBox, entity, page.record, { [spec.name]: v }, (rec) => {
							page.record = rec;
							page.rerender();
						});
					} else {
						const { root, index } = splitField(e.field);
						showError(root === spec.name || !e.field ? e.message : errorText(e), root === spec.name ? index : null);
					}
				} finally {
					save.disabled = false;
				}
			}
			save.addEventListener('click', submit);
			const form = h('div', { class: 'prop-editor' }, ed.el, err, h('div', { class: 'actions' }, save, cancel));
			form.addEventListener('keydown', (e) => {
				if (e.key === 'Escape') {
					e.preventDefault();
					e.stopPropagation();
					el.replaceWith(row(spec));
				} else if (e.key === 'Enter' && e.target.tagName === 'INPUT' && e.target.type !== 'search') {
					e.preventDefault();
					submit();
				}
			});
			mount(value, form);
			el.classList.add('editing');
			el.querySelector('.edit-field')?.remove();
			ed.focus();
		}
		return el;
	}
	for (const spec of FIELDS[entity]) body.append(row(spec));
	return card(t('card.profile'), body);
}

function figuresCard(figures) {
	const fig = (key, value, cls) => h('div', { class: `figure ${cls || ''}`, dataset: { figure: key } }, h('div', { class: 'figure-value', text: value }), h('div', { class: 'figure-label', text: t(`figure.${key}`) }));
	return card(
		t('card.figures'),
		h(
			'div',
			{ class: 'figures' },
			fig('lifetime_revenue', money(figures.lifetime_revenue, figures.currency), 'big'),
			fig('lifetime_margin', money(figures.lifetime_margin, figures.currency), 'big'),
			fig('order_count', number(figures.order_count)),
			fig('interaction_count', number(figures.interaction_count)),
			fig('first_contact_at', date(figures.first_contact_at)),
			fig('last_contact_at', date(figures.last_contact_at)),
			fig('last_order_at', date(figures.last_order_at)),
			fig('days_since_last_order', figures.days_since_last_order === null ? '—' : number(figures.days_since_last_order)),
			// There is no service module yet, so no cases to count: say so instead of a made-up 0.
			h('div', { class: 'figure muted', dataset: { figure: 'open_cases' } }, h('div', { class: 'figure-value', text: '—' }), h('div', { class: 'figure-label', text: t('figure.open_cases_pending') })),
		),
	);
}

/* The interaction timeline: filter chips per channel, 50 at a time by keyset paging, more when
 * the end of the list scrolls into view (or on the button). */
function timelineCard(filter, page, contactNames) {
	const list = h('ol', { class: 'timeline', id: 'timeline' });
	const more = h('button', { type: 'button', class: 'more', id: 'timeline-more', text: t('timeline.more') });
	const status = h('div', { class: 'muted timeline-status' });
	let channel = '';
	let cursor = null;
	let loading = false;
	let seq = 0;
	const chips = h(
		'div',
		{ class: 'chips', role: 'group', 'aria-label': t('timeline.filter') },
		['', ...CHANNELS].map((c) =>
			h('button', { type: 'button', class: `chip ${c === '' ? 'active' : ''}`, dataset: { channel: c || 'all' }, 'aria-pressed': String(c === ''), text: c ? t(`channel.${c}`) : t('timeline.all'), onclick: (e) => {
				channel = c;
				chips.querySelectorAll('.chip').forEach((b) => (b.classList.toggle('active', b === e.currentTarget), b.setAttribute('aria-pressed', String(b === e.currentTarget))));
				reload();
			} }),
		),
	);
	function item(i) {
		return h(
			'li',
			{ class: `tl-item ch-${i.channel}`, dataset: { id: i.id, channel: i.channel } },
			h('div', { class: 'tl-dot', 'aria-hidden': 'true' }),
			h(
				'div',
				{ class: 'tl-body' },
				h(
					'div',
					{ class: 'tl-head' },
					h('span', { class: 'tl-channel', text: t(`channel.${i.channel}`) }),
					h('span', { class: 'tl-dir', text: t(`direction.${i.direction}`) }),
					h('time', { datetime: i.occurred_at, text: dateTime(i.occurred_at) }),
					i.duration_s !== null ? h('span', { class: 'muted', text: duration(i.duration_s) }) : '',
					contactNames && i.contact_id ? h('a', { href: `/contacts/${i.contact_id}`, class: 'tl-contact', text: contactNames.get(i.contact_id) || `#${i.contact_id}` }) : '',
					i.user_id ? h('span', { class: 'muted tl-user', text: userName(i.user_id) }) : '',
					canWrite('interaction') ? h('button', { type: 'button', class: 'icon small', 'aria-label': t('action.edit'), text: '✎', onclick: () => openInteractionForm(filter, { interaction: i, onSaved: () => page.rerender({ keepRecord: true }) }) }) : '',
				),
				i.subject ? h('div', { class: 'tl-subject', text: i.subject }) : '',
				i.body ? h('div', { class: 'tl-text prewrap', text: i.body }) : '',
				i.outcome ? h('div', { class: 'tl-outcome' }, h('span', { class: 'muted', text: `${t('field.outcome')}: ` }), i.outcome) : '',
			),
		);
	}
	async function loadMore() {
		if (loading || (cursor === null && list.childElementCount)) return;
		loading = true;
		const mine = seq;
		more.disabled = true;
		try {
			const r = await get(`/interactions${query({ ...filter, channel, limit: TIMELINE_PAGE, cursor })}`);
			if (mine !== seq) return;
			append(list, r.data.map(item));
			cursor = r.next_cursor;
			more.hidden = !cursor;
			if (!list.childElementCount) mount(status, t('timeline.empty'));
			else mount(status, t('timeline.shown', { count: number(list.childElementCount) }));
		} catch (e) {
			mount(status, errorText(e));
		} finally {
			loading = false;
			more.disabled = false;
		}
	}
	function reload() {
		seq++;
		loading = false;
		cursor = null;
		mount(list);
		mount(status, '');
		return loadMore();
	}
	more.addEventListener('click', loadMore);
	const sentinel = h('div', { class: 'sentinel' });
	new IntersectionObserver((entries) => entries.some((e) => e.isIntersecting) && cursor && loadMore()).observe(sentinel);
	const el = card(t('card.timeline'), chips, list, status, more, sentinel);
	return { el, ready: reload() };
}

function ordersCard(filter) {
	const tbody = h('tbody');
	const more = h('button', { type: 'button', class: 'more', text: t('orders.more') });
	const status = h('div', { class: 'muted' });
	let cursor = null;
	const table = h(
		'table',
		{ class: 'data-table compact', id: 'orders' },
		h('thead', null, h('tr', null, ['ordered_at', 'external_ref', 'status', 'amount', 'margin'].map((k) => h('th', { class: k === 'amount' || k === 'margin' ? 'num' : '', text: t(`order.${k}`) })))),
		tbody,
	);
	async function load() {
		more.disabled = true;
		try {
			const r = await get(`/orders${query({ ...filter, limit: ORDERS_PAGE, cursor })}`);
			for (const o of r.data)
				tbody.append(
					h(
						'tr',
						null,
						h('td', { text: date(o.ordered_at) }),
						h('td', { text: o.external_ref || `#${o.id}` }),
						h('td', null, h('span', { class: `badge status-${o.status}`, text: t(`order_status.${o.status}`) })),
						h('td', { class: 'num', text: money(o.amount, o.currency) }),
						h('td', { class: 'num', text: o.cost === null ? '—' : money((Number(o.amount) - Number(o.cost)).toFixed(2), o.currency) }),
					),
				);
			cursor = r.next_cursor;
			more.hidden = !cursor;
			if (!tbody.childElementCount) mount(status, t('orders.empty'));
		} catch (e) {
			mount(status, errorText(e));
		} finally {
			more.disabled = false;
		}
	}
	more.addEventListener('click', load);
	return { el: card(t('card.orders'), h('div', { class: 'table-wrap' }, table), status, more), ready: load() };
}

function peopleCard(account, people, count) {
	const list = h(
		'ul',
		{ class: 'people', id: 'people' },
		people.map((p) =>
			h('li', null, h('a', { href: `/contacts/${p.id}`, class: 'person-name', text: p.name }), p.title ? h('span', { class: 'muted', text: p.title }) : '', p.phones[0] ? h('span', { class: 'muted', text: p.phones[0].number }) : '', tierBadge(p.tier)),
		),
	);
	const foot = count > people.length ? h('a', { href: `/contacts?account=${account.id}`, text: t('people.all', { count: number(count) }) }) : '';
	const add = canWrite('contact') ? h('button', { type: 'button', class: 'small', text: t('contact.new'), onclick: () => openRecordForm('contact', null, { defaults: { account_id: account.id } }) }) : '';
	return card(t('card.people', { count: number(count) }), people.length ? list : h('div', { class: 'muted', text: t('people.empty') }), foot, add);
}

/* Renders a 360 page; entity "contact" or "account". */
export async function render360(main, entity, id) {
	mount(main, spinner());
	const page = { record: null, conflictBox: h('div', { class: 'conflict-box' }) };
	let data;
	const filter = entity === 'contact' ? { contact_id: id } : { account_id: id };
	try {
		data = await get(`/${entity}s/${id}/360`);
	} catch (e) {
		mount(main, h('div', { class: 'page-error' }, h('h1', { text: e.status === 404 ? t('error.not_found_title') : t('error.title') }), h('p', { text: errorText(e) }), h('a', { href: `/${entity}s`, text: t('action.back_to_list') })));
		return;
	}
	page.record = data[entity];

	const head = h('div', { class: 'page-head head-360' });
	page.refreshHead = () => {
		const r = page.record;
		const sub = [];
		if (entity === 'contact') {
			if (r.title) sub.push(h('span', { text: r.title }));
			sub.push(...orgLine(r));
			if (data.account) sub.push(h('a', { href: `/accounts/${data.account.id}`, text: data.account.name }));
		} else {
			if (r.industry) sub.push(h('span', { text: r.industry }));
			if (data.parent) sub.push(h('span', null, t('field.parent_id'), ': ', h('a', { href: `/accounts/${data.parent.id}`, text: data.parent.name })));
		}
		const actions = [];
		if (canWrite('interaction')) {
			const ctx = entity === 'contact' ? { contact_id: r.id } : { account_id: r.id };
			const log = (kind) => () => openInteractionForm(ctx, { record: page.record, kind, onSaved: (res) => (res.record ? ((page.record = res.record), page.rerender({ keepRecord: true })) : page.rerender()) });
			actions.push(
				h('button', { type: 'button', class: 'primary', id: 'log-call', text: t('interaction.log_call'), onclick: log('phone') }),
				h('button', { type: 'button', id: 'log-visit', text: t('interaction.log_visit'), onclick: log('visit') }),
				h('button', { type: 'button', id: 'log-note', text: t('interaction.log_note'), onclick: log('note') }),
			);
		}
		if (canWrite(entity)) actions.push(h('button', { type: 'button', id: 'edit-record', text: t('action.edit'), onclick: () => openRecordForm(entity, page.record, { onSaved: (rec) => ((page.record = rec), page.rerender({ keepRecord: true })) }) }));
		mount(
			head,
			h('div', null, h('div', { class: 'crumb' }, h('a', { href: `/${entity}s`, text: t(`nav.${entity}s`) })), h('h1', { class: 'record-name', id: 'record-name' }, h('span', { text: r.name }), ' ', tierBadge(r.tier)), h('div', { class: 'subline' }, sub)),
			h('div', { class: 'actions' }, actions),
		);
	};
	// After a save elsewhere on the page (a logged call, a resolved conflict) everything is
	// read again: the figures and the timeline derive from what was saved.
	page.rerender = () => render360(main, entity, id);
	page.refreshHead();

	const contactNames = entity === 'account' ? new Map(data.people.map((p) => [p.id, p.name])) : null;
	const timeline = timelineCard(filter, page, contactNames);
	const orders = ordersCard(filter);
	mount(
		main,
		head,
		page.conflictBox,
		h(
			'div',
			{ class: 'grid-360' },
			h('div', { class: 'col-side' }, profileCard(entity, page), entity === 'account' ? peopleCard(page.record, data.people, data.people_count) : privacyCard(page)),
			h('div', { class: 'col-main' }, figuresCard(data.figures), timeline.el, orders.el),
		),
	);
	const related = mountRelations(main, entity, id, data, page);
	await timeline.ready;
	main.dataset.ready = `${entity}-${id}`;
	performance.mark(`360-ready-${entity}-${id}`);
	await orders.ready;
	await related;
	main.dataset.related = `${entity}-${id}`;
}
