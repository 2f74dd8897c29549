// names.js — account names for rows that only carry an account_id (contact lists, 360 pages),
// fetched once per id and shared; requests for the same id are merged.
import { get } from './api.js';

const cache = new Map(); // id -> Promise<account | null>

export function accountOf(id) {
	if (!id) return Promise.resolve(null);
	if (!cache.has(id)) cache.set(id, get(`/accounts/${id}`).catch(() => null));
	return cache.get(id);
}

export function forgetAccount(id) {
	cache.delete(id);
}
