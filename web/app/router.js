// router.js — the app's pages are paths (/contacts/42) so links can be shared and reloaded; the
// server answers every such path with index.html. Clicks on same-origin links are handled here
// without a page load.

const routes = [];
let notFound = () => {};
let current = null;

/* route('/contacts/:id', (params, query) => {...}) */
export function route(pattern, handler) {
	const names = [];
	const re = new RegExp(
		'^' + pattern.replace(/:(\w+)/g, (m, name) => (names.push(name), '([^/]+)')) + '/?$',
	);
	routes.push({ re, names, handler });
}

export function setNotFound(fn) {
	notFound = fn;
}

export function navigate(path, { replace = false } = {}) {
	if (replace) history.replaceState(null, '', path);
	else if (path !== location.pathname + location.search) history.pushState(null, '', path);
	return dispatch();
}

export function dispatch() {
	const path = location.pathname;
	const query = new URLSearchParams(location.search);
	for (const r of routes) {
		const m = r.re.exec(path);
		if (m) {
			const params = {};
			r.names.forEach((name, i) => (params[name] = decodeURIComponent(m[i + 1])));
			current = { path, params, query };
			return r.handler(params, query);
		}
	}
	current = { path, params: {}, query };
	return notFound();
}

export function currentRoute() {
	return current;
}

export function startRouter() {
	window.addEventListener('popstate', () => dispatch());
	document.addEventListener('click', (e) => {
		if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
		const a = e.target.closest('a[href]');
		if (!a || a.target || a.hasAttribute('download')) return;
		const url = new URL(a.href, location.href);
		if (url.origin !== location.origin || url.pathname.startsWith('/api/')) return;
		e.preventDefault();
		navigate(url.pathname + url.search);
	});
}
