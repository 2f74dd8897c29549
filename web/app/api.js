// api.js — the app's only door to the server: JSON over /api/v1 with the session cookie that
// sign-in sets (HttpOnly, so scripts never see the token). Writes carry X-Requested-With: guanxi,
// the CSRF rule of docs/api.md. Errors become ApiError with the API's code, message and field.

export class ApiError extends Error {
	constructor(status, body) {
		const e = (body && body.error) || {};
		super(e.message || `HTTP ${status}`);
		this.status = status;
		this.code = e.code || 'internal';
		this.field = e.field || null;
	}
}

let onUnauthorized = () => {};
export function setUnauthorizedHandler(fn) {
	onUnauthorized = fn;
}

export async function api(method, path, body) {
	const headers = { accept: 'application/json' };
	if (method !== 'GET') headers['x-requested-with'] = 'guanxi';
	if (body !== undefined) headers['content-type'] = 'application/json';
	let res;
	try {
		res = await fetch(`/api/v1${path}`, {
			method,
			headers,
			credentials: 'same-origin',
			body: body === undefined ? undefined : JSON.stringify(body),
		});
	} catch {
		throw new ApiError(0, { error: { code: 'network', message: 'network' } });
	}
	const text = await res.text();
	let json = null;
	try {
		json = text ? JSON.parse(text) : null;
	} catch {
		json = null;
	}
	if (!res.ok) {
		const err = new ApiError(res.status, json);
		if (res.status === 401 && !path.startsWith('/auth/')) onUnauthorized();
		throw err;
	}
	return json;
}

export const get = (path) => api('GET', path);
export const post = (path, body) => api('POST', path, body);
export const patch = (path, body) => api('PATCH', path, body);

/* "?a=1&b=x" from an object, leaving out empty values. */
export function query(params) {
	const q = new URLSearchParams();
	for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
	const s = q.toString();
	return s ? `?${s}` : '';
}
