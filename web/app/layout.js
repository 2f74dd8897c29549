// layout.js — the frame around every signed-in page: brand, module navigation, global search,
// language switch (remembered per user through PATCH /me), the user and sign-out.
import { patch, post } from './api.js';
import { h, mount } from './dom.js';
import { LOCALES, locale, setLocale, t } from './i18n.js';
import { navigate } from './router.js';
import { searchBox } from './search.js';
import { state } from './state.js';
import { notice, errorText } from './ui.js';
import { presenceControl } from './cti.js';

// Modules appear here as their issues land; each entry is a path prefix and its label key.
const MODULES = [
	['/contacts', 'nav.contacts'],
	['/accounts', 'nav.accounts'],
	['/quality', 'quality.nav'],
	['/duplicates', 'dup.nav'],
	['/import', 'import.nav'],
];

export function languageSelect(onChange) {
	const sel = h(
		'select',
		{ class: 'lang', id: 'lang-select', 'aria-label': t('nav.language') },
		LOCALES.map((l) => h('option', { value: l, selected: l === locale(), text: t(`lang.${l}`) })),
	);
	sel.addEventListener('change', () => onChange(sel.value));
	return sel;
}

async function changeLanguage(l) {
	await setLocale(l);
	if (state.me) {
		try {
			state.me = await patch('/me', { locale: l });
		} catch (e) {
			notice(errorText(e), 'error');
		}
	}
}

export async function signOut() {
	try {
		await post('/auth/logout');
	} catch {
		/* the session may already be gone */
	}
	state.me = null;
	navigate('/login');
}

/* Renders the frame into root and returns the element pages draw into. */
export function renderLayout(root, activePath) {
	const main = h('main', { id: 'main', class: 'main', tabindex: '-1' });
	const nav = h(
		'nav',
		{ class: 'nav', 'aria-label': t('nav.modules') },
		MODULES.map(([path, key]) => h('a', { href: path, class: activePath.startsWith(path) ? 'active' : '', text: t(key) })),
	);
	const user = state.me;
	mount(
		root,
		h(
			'header',
			{ class: 'topbar' },
			h('a', { href: '/contacts', class: 'brand' }, h('span', { class: 'brand-mark', text: '关系' }), h('span', { class: 'brand-name', text: 'Guanxi' })),
			nav,
			searchBox(),
			h(
				'div',
				{ class: 'user' },
				presenceControl(),
				languageSelect(changeLanguage),
				h('span', { class: 'user-name', id: 'user-name', title: user.username, text: user.display_name || user.username }),
				h('button', { type: 'button', class: 'link-button', id: 'sign-out', onclick: signOut, text: t('nav.sign_out') }),
			),
		),
		main,
	);
	return main;
}
