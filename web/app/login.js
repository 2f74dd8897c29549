// login.js — the sign-in page. The server sets the HttpOnly session cookie; the user's own
// locale (from their profile) applies right after.
import { post } from './api.js';
import { h, mount } from './dom.js';
import { setLocale, t } from './i18n.js';
import { languageSelect } from './layout.js';
import { state } from './state.js';
import { errorText } from './ui.js';

export function renderLogin(root, onSignedIn) {
	const username = h('input', { name: 'username', id: 'username', autocomplete: 'username', required: true, autofocus: true });
	const password = h('input', { name: 'password', id: 'password', type: 'password', autocomplete: 'current-password', required: true });
	const error = h('div', { class: 'form-error', role: 'alert' });
	error.hidden = true;
	const button = h('button', { type: 'submit', class: 'primary', text: t('login.submit') });
	const form = h(
		'form',
		{ class: 'login-card', novalidate: true },
		h('div', { class: 'login-brand' }, h('span', { class: 'brand-mark big', text: '关系' }), h('h1', { text: t('login.title') })),
		h('p', { class: 'muted', text: t('login.subtitle') }),
		h('label', { for: 'username', text: t('login.username') }),
		username,
		h('label', { for: 'password', text: t('login.password') }),
		password,
		error,
		button,
		h('div', { class: 'login-lang' }, languageSelect((l) => setLocale(l))),
	);
	form.addEventListener('submit', async (e) => {
		e.preventDefault();
		error.hidden = true;
		if (!username.value || !password.value) {
			mount(error, t('login.missing'));
			error.hidden = false;
			return;
		}
		button.disabled = true;
		try {
			const r = await post('/auth/login', { username: username.value.trim(), password: password.value });
			state.me = r.user;
			await onSignedIn();
		} catch (err) {
			mount(error, err.status === 401 ? t('login.wrong') : err.status === 429 ? t('login.throttled') : errorText(err));
			error.hidden = false;
			password.select();
		} finally {
			button.disabled = false;
		}
	});
	mount(root, h('div', { class: 'login-page' }, form));
	username.focus();
}
