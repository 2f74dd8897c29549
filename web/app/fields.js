// fields.js — how each field of a record is shown and edited: plain text, dates, tags, owner,
// account links and the contact points (phones, emails, addresses as editable lists). The 360
// pages edit one field at a time with these editors; the create/edit forms use all of them.
import { h, mount, debounce } from './dom.js';
import { get, query } from './api.js';
import { t, date } from './i18n.js';
import { accountOf } from './names.js';
import { state, userName } from './state.js';

export const PHONE_KINDS = ['mobile', 'work', 'home', 'fax', 'other'];
export const EMAIL_KINDS = ['work', 'home', 'other'];
export const ADDRESS_KINDS = ['work', 'home', 'billing', 'shipping', 'other'];
const ADDRESS_PARTS = ['street', 'city', 'region', 'postcode', 'country'];
export const CONSENT = ['email', 'sms', 'phone', 'wechat', 'post'];

export const FIELDS = {
	contact: [
		{ name: 'name', type: 'text', required: true },
		{ name: 'title', type: 'text' },
		{ name: 'account_id', type: 'account' },
		{ name: 'phones', type: 'phones' },
		{ name: 'emails', type: 'emails' },
		{ name: 'addresses', type: 'addresses' },
		{ name: 'birthday', type: 'date' },
		{ name: 'owner_id', type: 'owner' },
		{ name: 'tags', type: 'tags' },
		{ name: 'consent', type: 'consent' },
		{ name: 'notes', type: 'textarea' },
	],
	account: [
		{ name: 'name', type: 'text', required: true },
		{ name: 'industry', type: 'text' },
		{ name: 'website', type: 'text' },
		{ name: 'parent_id', type: 'account' },
		{ name: 'owner_id', type: 'owner' },
		{ name: 'tags', type: 'tags' },
		{ name: 'notes', type: 'textarea' },
	],
};

/* "emails[0].address" -> {root: "emails", index: 0}. */
export function splitField(path) {
	const m = /^([a-z_]+)(?:\[(\d+)\])?/.exec(path || '');
	return m ? { root: m[1], index: m[2] === undefined ? null : +m[2] } : { root: null, index: null };
}

/* The read-only view of a value. */
export function display(spec, value) {
	const empty = () => h('span', { class: 'muted', text: '—' });
	switch (spec.type) {
		case 'date':
			return value ? date(value) : empty();
		case 'owner':
			return value ? userName(value) : empty();
		case 'account': {
			if (!value) return empty();
			const a = h('a', { href: `/accounts/${value}`, text: '…' });
			accountOf(value).then((acc) => mount(a, acc ? acc.name : `#${value}`));
			return a;
		}
		case 'tags':
			return value && value.length ? h('span', { class: 'tags' }, value.map((x) => h('span', { class: 'tag', text: x }))) : empty();
		case 'phones':
			return value && value.length
				? h('ul', { class: 'points' }, value.map((p) => h('li', null, h('span', { class: 'point-kind', text: t(`phone.${p.kind}`) }), h('a', { href: `tel:${p.e164 || p.number}`, text: p.number }), p.label ? h('span', { class: 'muted', text: ` (${p.label})` }) : '')))
				: empty();
		case 'emails':
			return value && value.length
				? h('ul', { class: 'points' }, value.map((e) => h('li', null, h('span', { class: 'point-kind', text: t(`email.${e.kind}`) }), h('a', { href: `mailto:${e.address}`, text: e.address }))))
				: empty();
		case 'addresses':
			return value && value.length
				? h('ul', { class: 'points' }, value.map((a) => h('li', null, h('span', { class: 'point-kind', text: t(`address.${a.kind}`) }), ADDRESS_PARTS.map((p) => a[p]).filter(Boolean).join(', '))))
				: empty();
		case 'consent': {
			const on = CONSENT.filter((c) => value && value[c]);
			return on.length ? on.map((c) => t(`consent.${c}`)).join(' · ') : empty();
		}
		case 'textarea':
			return value ? h('div', { class: 'prewrap', text: value }) : empty();
		default:
			return value ? String(value) : empty();
	}
}

function kindSelect(kinds, prefix, value) {
	return h('select', { class: 'kind-select', 'aria-label': t('field.kind') }, kinds.map((k) => h('option', { value: k, selected: k === value, text: t(`${prefix}.${k}`) })));
}

/* An editable list of contact points; each row keeps the keys it does not edit (label, e164). */
function listEditor(items, { kinds, prefix, parts, newItem }) {
	const rows = [];
	const box = h('div', { class: 'list-editor' });
	const list = h('div', { class: 'list-rows' });
	function addRow(item) {
		const kind = kindSelect(kinds, prefix, item.kind || kinds[0]);
		const inputs = parts.map((p) => h('input', { type: p === 'address' ? 'email' : 'text', class: `part-${p}`, name: `${prefix}-${p}`, value: item[p] || '', placeholder: t(`part.${p}`), 'aria-label': t(`part.${p}`) }));
		const err = h('div', { class: 'field-error', role: 'alert' });
		err.hidden = true;
		const row = { item, kind, inputs, err };
		const el = h('div', { class: 'list-row' }, kind, inputs, h('button', { type: 'button', class: 'icon', 'aria-label': t('action.remove'), text: '×', onclick: () => (rows.splice(rows.indexOf(row), 1), el.remove()) }), err);
		row.el = el;
		rows.push(row);
		list.append(el);
		return row;
	}
	(items || []).forEach(addRow);
	box.append(list, h('button', { type: 'button', class: 'link-button add-row', text: t(`${prefix}.add`), onclick: () => addRow(newItem()).inputs[0].focus() }));
	return {
		el: box,
		value() {
			return rows
				.map((r) => {
					const out = { ...r.item, kind: r.kind.value };
					delete out.e164;
					parts.forEach((p, i) => {
						const v = r.inputs[i].value.trim();
						if (v) out[p] = v;
						else delete out[p];
					});
					return out;
				})
				.filter((o) => parts.some((p) => o[p]));
		},
		focus() {
			(rows[0] ? rows[0].inputs[0] : box.querySelector('button')).focus();
		},
		error(msg, index) {
			rows.forEach((r, i) => {
				const mine = msg && (index === i || (index === null && i === 0));
				r.err.hidden = !mine;
				mount(r.err, mine ? msg : '');
				r.inputs.forEach((x) => x.setAttribute('aria-invalid', mine ? 'true' : 'false'));
			});
			return rows.length > 0 && index !== null && index < rows.length;
		},
	};
}

/* Type-ahead account picker over /search; value() is the chosen id or null. */
function accountPicker(value) {
	let chosen = value || null;
	const input = h('input', { type: 'search', class: 'account-picker', placeholder: t('field.account_search'), autocomplete: 'off' });
	const list = h('ul', { class: 'picker-results' });
	list.hidden = true;
	if (chosen) accountOf(chosen).then((a) => (input.value = a ? a.name : `#${chosen}`));
	const run = debounce(async () => {
		const q = input.value.trim();
		if (!q) {
			chosen = null;
			list.hidden = true;
			return;
		}
		const r = await get(`/search${query({ q, limit: 8 })}`);
		const accounts = r.data.filter((x) => x.kind === 'account');
		mount(
			list,
			accounts.length
				? accounts.map((a) => h('li', null, h('button', { type: 'button', text: a.name, onclick: () => ((chosen = a.id), (input.value = a.name), (list.hidden = true)) })))
				: h('li', { class: 'muted', text: t('search.none') }),
		);
		list.hidden = false;
	}, 200);
	input.addEventListener('input', () => {
		chosen = null;
		run();
	});
	return { el: h('div', { class: 'picker' }, input, list), value: () => (input.value.trim() ? chosen : null), focus: () => input.focus(), input };
}

/* The editor of one field: {el, value(), focus(), input?, error?(msg, index)}. */
export function editor(spec, value) {
	let input;
	switch (spec.type) {
		case 'phones':
			return listEditor(value, { kinds: PHONE_KINDS, prefix: 'phone', parts: ['number'], newItem: () => ({ kind: 'mobile' }) });
		case 'emails':
			return listEditor(value, { kinds: EMAIL_KINDS, prefix: 'email', parts: ['address'], newItem: () => ({ kind: 'work' }) });
		case 'addresses':
			return listEditor(value, { kinds: ADDRESS_KINDS, prefix: 'address', parts: ADDRESS_PARTS, newItem: () => ({ kind: 'work' }) });
		case 'account':
			return accountPicker(value);
		case 'consent': {
			const boxes = CONSENT.map((c) => h('input', { type: 'checkbox', name: `consent-${c}`, checked: !!(value && value[c]) }));
			return {
				el: h('div', { class: 'checks' }, CONSENT.map((c, i) => h('label', null, boxes[i], t(`consent.${c}`)))),
				value: () => Object.fromEntries(CONSENT.map((c, i) => [c, boxes[i].checked]).filter(([c, on]) => on || (value && c in value))),
				focus: () => boxes[0].focus(),
			};
		}
		case 'owner': {
			const opts = [...state.users.values()];
			if (value && !state.users.has(value)) opts.push({ id: value, username: `#${value}` });
			input = h('select', { name: spec.name }, h('option', { value: '', text: '—' }), opts.map((u) => h('option', { value: String(u.id), selected: u.id === value, text: u.display_name || u.username })));
			return { el: input, input, value: () => (input.value ? +input.value : null), focus: () => input.focus() };
		}
		case 'tags':
			input = h('input', { type: 'text', name: spec.name, value: (value || []).join(', '), placeholder: t('field.tags_hint') });
			return { el: input, input, value: () => [...new Set(input.value.split(/[,，、]/).map((s) => s.trim()).filter(Boolean))], focus: () => input.focus() };
		case 'textarea':
			input = h('textarea', { name: spec.name, rows: 4 });
			input.value = value || '';
			return { el: input, input, value: () => input.value || null, focus: () => input.focus() };
		case 'date':
			input = h('input', { type: 'date', name: spec.name, value: value || '' });
			return { el: input, input, value: () => input.value || null, focus: () => input.focus() };
		default:
			input = h('input', { type: 'text', name: spec.name, value: value || '', required: !!spec.required });
			return { el: input, input, value: () => (input.value.trim() ? input.value.trim() : null), focus: () => input.focus() };
	}
}
