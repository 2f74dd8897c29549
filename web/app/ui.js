// ui.js — small shared widgets: dialogs (native <dialog>, Esc closes), notices, badges, error
// text for a failed API call, and form fields that can show the API's message next to them.
import { h, mount } from './dom.js';
import { t, has } from './i18n.js';

/* Opens a modal dialog; returns {el, body, close}. Esc and the close button close it. */
export function openDialog(title, { onClose } = {}) {
	const body = h('div', { class: 'dialog-body' });
	const el = h(
		'dialog',
		{ class: 'dialog' },
		h('header', { class: 'dialog-head' }, h('h2', { text: title }), h('button', { type: 'button', class: 'icon', 'aria-label': t('action.close'), onclick: () => close(), text: '×' })),
		body,
	);
	function close() {
		if (el.open) el.close();
	}
	el.addEventListener('close', () => {
		el.remove();
		onClose && onClose();
	});
	document.body.append(el);
	el.showModal();
	return { el, body, close };
}

let noticeTimer;
export function notice(text, kind = 'ok') {
	let box = document.getElementById('notice');
	if (!box) {
		box = h('div', { id: 'notice', role: 'status', 'aria-live': 'polite' });
		document.body.append(box);
	}
	box.className = `notice ${kind}`;
	mount(box, text);
	box.hidden = false;
	clearTimeout(noticeTimer);
	noticeTimer = setTimeout(() => (box.hidden = true), 4000);
}

/* A user-facing message for an API error: our own words for the code, the API's detail after. */
export function errorText(err) {
	if (!err || err.status === undefined) return t('error.internal');
	if (err.code === 'network') return t('error.network');
	const key = `error.${err.code}`;
	const base = has(key) ? t(key) : t('error.internal');
	return err.code === 'validation_failed' || err.code === 'conflict' || err.code === 'bad_request' ? `${base}: ${err.message}` : base;
}

export function tierBadge(tier) {
	return tier ? h('span', { class: `badge tier-${tier}`, text: t(`tier.${tier}`) }) : '';
}

/* A labelled form field: {row, input, error(msg)}. */
export function field(label, input, { hint } = {}) {
	const err = h('div', { class: 'field-error', role: 'alert' });
	err.hidden = true;
	const id = input.id || `f-${Math.random().toString(36).slice(2, 9)}`;
	input.id = id;
	const row = h('div', { class: 'field' }, h('label', { for: id, text: label }), input, hint ? h('div', { class: 'hint', text: hint }) : '', err);
	return {
		row,
		input,
		error(msg) {
			err.hidden = !msg;
			mount(err, msg || '');
			input.setAttribute('aria-invalid', msg ? 'true' : 'false');
		},
	};
}

export function select(name, options, value) {
	return h('select', { name }, options.map(([v, label]) => h('option', { value: v, selected: v === value, text: label })));
}

export function spinner() {
	return h('div', { class: 'loading', text: t('common.loading') });
}
