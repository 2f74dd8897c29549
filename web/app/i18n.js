// i18n.js — every visible string comes from i18n/<locale>.json; dates, numbers and money are
// formatted with Intl for the current locale. t('key', {n: 3}) fills {n}. A key missing from a
// locale falls back to English, then to the key itself (which the tests would notice).

export const LOCALES = ['zh-CN', 'zh-TW', 'en'];
// The build rewrites these paths to the content-hashed file names.
const FILES = { en: '/i18n/en.json', 'zh-CN': '/i18n/zh-CN.json', 'zh-TW': '/i18n/zh-TW.json' };

let current = 'en';
let strings = {};
let fallback = {};
const listeners = new Set();

async function load(locale) {
	const res = await fetch(FILES[locale], { credentials: 'same-origin' });
	if (!res.ok) throw new Error(`locale ${locale}: HTTP ${res.status}`);
	return res.json();
}

/* The locale to start with before anyone signs in: the last one used on this browser, else the
 * browser's own language. */
export function initialLocale() {
	const saved = localStorage.getItem('gx.locale');
	if (LOCALES.includes(saved)) return saved;
	for (const lang of navigator.languages || [navigator.language || 'en']) {
		const l = lang.toLowerCase();
		if (l === 'zh-tw' || l === 'zh-hk' || l === 'zh-mo' || l.startsWith('zh-hant')) return 'zh-TW';
		if (l.startsWith('zh')) return 'zh-CN';
		if (l.startsWith('en')) return 'en';
	}
	return 'en';
}

export async function setLocale(locale) {
	if (!LOCALES.includes(locale)) locale = 'en';
	if (!Object.keys(fallback).length) fallback = await load('en');
	strings = locale === 'en' ? fallback : await load(locale);
	current = locale;
	localStorage.setItem('gx.locale', locale);
	document.documentElement.lang = locale;
	document.title = t('app.title');
	for (const fn of listeners) fn(locale);
}

export function onLocaleChange(fn) {
	listeners.add(fn);
}

export function locale() {
	return current;
}

export function t(key, vars) {
	let s = strings[key] ?? fallback[key] ?? key;
	if (vars) s = s.replace(/\{(\w+)\}/g, (m, name) => (name in vars ? String(vars[name]) : m));
	return s;
}

export function has(key) {
	return key in strings || key in fallback;
}

const cache = new Map();
function fmt(kind, options) {
	const k = `${current}|${kind}|${JSON.stringify(options)}`;
	if (!cache.has(k))
		cache.set(k, kind === 'n' ? new Intl.NumberFormat(current, options) : new Intl.DateTimeFormat(current, options));
	return cache.get(k);
}

/* An API time ("2026-11-22T02:00:00Z") in the user's time zone. */
export function dateTime(iso) {
	if (!iso) return '—';
	return fmt('d', { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(iso));
}

export function date(iso) {
	if (!iso) return '—';
	// A bare date is a calendar day, not a moment: show it as that day everywhere.
	const d = /^\d{4}-\d{2}-\d{2}$/.test(iso) ? new Date(`${iso}T00:00:00Z`) : new Date(iso);
	return fmt('d', { dateStyle: 'medium', ...(iso.length === 10 ? { timeZone: 'UTC' } : {}) }).format(d);
}

export function number(n) {
	return n === null || n === undefined ? '—' : fmt('n', {}).format(n);
}

/* Money arrives as a decimal string ("1299.50"); shown with the currency per locale. */
export function money(amount, currency) {
	if (amount === null || amount === undefined) return '—';
	try {
		return fmt('n', { style: 'currency', currency: currency || 'CNY' }).format(Number(amount));
	} catch {
		return `${amount} ${currency || ''}`.trim();
	}
}

/* "3 minutes" style durations of calls. */
export function duration(seconds) {
	if (seconds === null || seconds === undefined) return '';
	const m = Math.floor(seconds / 60);
	const s = seconds % 60;
	return m ? t('time.minutes_seconds', { m, s }) : t('time.seconds', { s });
}
