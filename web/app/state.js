// state.js — what the whole app shares: the signed-in user and the names of users (owners).
import { get } from './api.js';

export const state = { me: null, users: new Map() };

/* Owner names, from the directory every signed-in user may read. */
export async function loadUsers() {
	state.users = new Map();
	if (state.me) state.users.set(state.me.id, state.me);
	try {
		const r = await get('/users/directory');
		for (const u of r.data) state.users.set(u.id, u);
	} catch {
		/* names are a nicety; ids still show */
	}
}

export function userName(id) {
	if (id === null || id === undefined) return '—';
	const u = state.users.get(id);
	return u ? u.display_name || u.username : `#${id}`;
}

export function canWrite(kind) {
	const role = state.me && state.me.role;
	if (kind === 'order') return ['admin', 'manager', 'sales', 'finance'].includes(role);
	return ['admin', 'manager', 'sales', 'service', 'marketing'].includes(role);
}
