// privacy.js — a person's privacy requests on the contact 360 page: "export all data" (the JSON
// of GET /contacts/{id}/export, downloaded as a file) and, for admins, "erase on request"
// (POST /contacts/{id}/erase) after a confirmation that names what goes and what stays.
import { get, post } from './api.js';
import { download } from './download.js';
import { h, mount } from './dom.js';
import { t, number } from './i18n.js';
import { state } from './state.js';
import { errorText, notice, openDialog } from './ui.js';

export function privacyCard(page) {
	const id = page.record.id;
	const exp = h('button', { type: 'button', id: 'privacy-export', text: t('privacy.export') });
	exp.addEventListener('click', async () => {
		exp.disabled = true;
		try {
			const data = await get(`/contacts/${id}/export`);
			download(`contact-${id}-export.json`, JSON.stringify(data, null, 2) + '\n', 'application/json;charset=utf-8');
			notice(t('privacy.exported'));
		} catch (e) {
			notice(errorText(e), 'error');
		} finally {
			exp.disabled = false;
		}
	});
	const buttons = [exp];
	if (state.me && state.me.role === 'admin' && !/^Erased \d+$/.test(page.record.name))
		buttons.push(h('button', { type: 'button', class: 'danger', id: 'privacy-erase', text: t('privacy.erase'), onclick: () => confirmErase(page) }));
	return h('section', { class: 'card privacy-card' }, h('h2', { class: 'card-title', text: t('privacy.title') }), h('p', { class: 'muted', text: t('privacy.intro') }), h('div', { class: 'actions' }, buttons));
}

function confirmErase(page) {
	const r = page.record;
	const dialog = openDialog(t('privacy.erase_title'));
	const check = h('input', { type: 'checkbox', id: 'privacy-erase-check' });
	const go = h('button', { type: 'button', class: 'danger', id: 'privacy-erase-confirm', disabled: true, text: t('privacy.erase_confirm') });
	const err = h('div', { class: 'form-error', role: 'alert' });
	err.hidden = true;
	check.addEventListener('change', () => (go.disabled = !check.checked));
	go.addEventListener('click', async () => {
		go.disabled = true;
		try {
			const res = await post(`/contacts/${r.id}/erase`);
			dialog.close();
			notice(t('privacy.erased', { interactions: number(res.interactions_redacted), audit: number(res.audit_rows_scrubbed) }));
			page.rerender();
		} catch (e) {
			mount(err, errorText(e));
			err.hidden = false;
			go.disabled = false;
		}
	});
	mount(
		dialog.body,
		h(
			'div',
			{ class: 'erase-form' },
			h('p', null, t('privacy.erase_who'), ' ', h('strong', { text: r.name }), ` (#${r.id})`),
			h('ul', null, h('li', { text: t('privacy.erase_goes') }), h('li', { text: t('privacy.erase_stays') }), h('li', { text: t('privacy.erase_final') })),
			h('label', { class: 'check' }, check, ' ', t('privacy.erase_understand')),
			err,
			h('div', { class: 'actions' }, go, h('button', { type: 'button', text: t('action.cancel'), onclick: () => dialog.close() })),
		),
	);
	check.focus();
}
