// main.js — starts the app: the locale, the signed-in user (GET /me; the session is an HttpOnly
// cookie), the routes, and the keyboard shortcuts. Every page draws into the layout's <main>.
import { get, setUnauthorizedHandler } from './api.js';
import { h, mount } from './dom.js';
import { initialLocale, onLocaleChange, setLocale, t } from './i18n.js';
import { renderLayout } from './layout.js';
import { renderList } from './lists.js';
import { renderLogin } from './login.js';
import { dispatch, navigate, route, setNotFound, startRouter } from './router.js';
import { installSearchShortcut } from './search.js';
import { loadUsers, state } from './state.js';
import { render360 } from './view360.js';
import { startEvents, stopEvents } from './cti.js';
import { renderDuplicates, renderQuality } from './quality.js';
import { renderImport } from './imports.js';

const root = document.getElementById('app');

let quiet = false; // no redraw on the locale change that signing in makes

/* Where to go after sign-in: ?next= when it is a path of this app, else the contacts. */
function afterLogin() {
	const next = new URLSearchParams(location.search).get('next');
	return next && /^\/[^/\\]/.test(next) && !next.startsWith('/login') ? next : '/contacts';
}

async function signedIn() {
	quiet = true;
	try {
		await setLocale(state.me.locale || 'en');
		await loadUsers();
	} finally {
		quiet = false;
	}
	navigate(afterLogin(), { replace: true });
}

/* A page that needs a signed-in user; others go to sign-in and come back afterwards. */
function page(render) {
	return (params, query) => {
		if (!state.me) {
			const next = location.pathname + location.search;
			return navigate(`/login${next && next !== '/' ? `?next=${encodeURIComponent(next)}` : ''}`, { replace: true });
		}
		startEvents(); // the CTI event stream, once per sign-in
		const main = renderLayout(root, location.pathname);
		return render(main, params, query);
	};
}

route('/login', () => (state.me ? navigate(afterLogin(), { replace: true }) : (stopEvents(), renderLogin(root, signedIn))));
route('/', page(() => navigate('/contacts', { replace: true })));
route('/contacts', page((main, p, q) => renderList(main, 'contacts', q)));
route('/accounts', page((main, p, q) => renderList(main, 'accounts', q)));
route('/contacts/:id', page((main, p) => (/^\d+$/.test(p.id) ? render360(main, 'contact', +p.id) : notFound(main))));
route('/accounts/:id', page((main, p) => (/^\d+$/.test(p.id) ? render360(main, 'account', +p.id) : notFound(main))));
route('/quality', page((main, p, q) => renderQuality(main, q)));
route('/duplicates', page((main, p, q) => renderDuplicates(main, q)));
route('/import', page((main) => renderImport(main)));
setNotFound(page((main) => notFound(main)));

function notFound(main) {
	mount(main, h('div', { class: 'page-error' }, h('h1', { text: t('error.not_found_title') }), h('a', { href: '/contacts', text: t('action.back_to_list') })));
}

async function boot() {
	await setLocale(initialLocale());
	setUnauthorizedHandler(() => {
		if (!state.me) return;
		state.me = null;
		navigate('/login', { replace: true });
	});
	try {
		state.me = await get('/me');
	} catch {
		state.me = null;
	}
	if (state.me) {
		await setLocale(state.me.locale || 'en');
		await loadUsers();
	}
	// Switching language redraws the current page in the new one.
	onLocaleChange(() => !quiet && root.childElementCount && dispatch());
	startRouter();
	installSearchShortcut();
	await dispatch();
}

boot();
