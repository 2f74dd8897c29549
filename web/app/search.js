// search.js — the global search box: accounts and contacts as you type (Chinese or Latin, pinyin
// and initials, phone in any format; the server does the matching). "/" focuses it, arrows move,
// Enter opens the selected (first) hit, Esc closes the list.
import { get, query } from './api.js';
import { h, mount, debounce } from './dom.js';
import { t } from './i18n.js';
import { navigate } from './router.js';
import { tierBadge } from './ui.js';

export function searchBox() {
	const input = h('input', {
		type: 'search',
		id: 'global-search',
		class: 'search-input',
		placeholder: t('search.placeholder'),
		'aria-label': t('search.label'),
		autocomplete: 'off',
		role: 'combobox',
		'aria-expanded': 'false',
		'aria-controls': 'search-results',
	});
	const list = h('ul', { id: 'search-results', class: 'search-results', role: 'listbox' });
	list.hidden = true;
	let hits = [];
	let selected = 0;
	let seq = 0;
	let hitsFor = '';

	const hrefOf = (hit) => `/${hit.kind === 'account' ? 'accounts' : 'contacts'}/${hit.id}`;
	function close() {
		list.hidden = true;
		input.setAttribute('aria-expanded', 'false');
	}
	function render() {
		list.dataset.q = hitsFor;
		mount(
			list,
			hits.length === 0
				? h('li', { class: 'search-empty', text: t('search.none') })
				: hits.map((hit, i) =>
						h(
							'li',
							{ role: 'option', class: i === selected ? 'selected' : '', 'aria-selected': String(i === selected) },
							h(
								'a',
								{ href: hrefOf(hit), class: 'search-hit', onclick: close },
								h('span', { class: `kind kind-${hit.kind}`, text: t(`kind.${hit.kind}`) }),
								h('span', { class: 'hit-name', text: hit.name }),
								hit.kind === 'contact' && hit.account_name ? h('span', { class: 'hit-sub', text: hit.account_name }) : '',
								hit.kind === 'contact' && hit.phones && hit.phones[0] ? h('span', { class: 'hit-sub', text: hit.phones[0].number }) : '',
								tierBadge(hit.tier),
							),
						),
					),
		);
		list.hidden = false;
		input.setAttribute('aria-expanded', 'true');
	}
	const run = debounce(async () => {
		const q = input.value.trim();
		const mine = ++seq;
		if (!q) {
			hits = [];
			close();
			return;
		}
		try {
			const r = await get(`/search${query({ q, limit: 8 })}`);
			if (mine !== seq) return; // a newer keystroke won
			// Contacts first: people are what agents look for most; accounts follow.
			hits = [...r.data.filter((x) => x.kind === 'contact'), ...r.data.filter((x) => x.kind === 'account')];
			hitsFor = q;
			selected = 0;
			render();
		} catch {
			/* the next keystroke tries again */
		}
	}, 150);

	input.addEventListener('input', () => (clearTimeout(blurTimer), run()));
	input.addEventListener('keydown', (e) => {
		if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
			if (!hits.length) return;
			e.preventDefault();
			selected = (selected + (e.key === 'ArrowDown' ? 1 : hits.length - 1)) % hits.length;
			render();
		} else if (e.key === 'Enter') {
			e.preventDefault();
			const go = async () => {
				const q = input.value.trim();
				if (hitsFor !== q || !hits.length) {
					// Enter before the list arrived: search now and open the first hit.
					if (!q) return;
					seq++;
					const r = await get(`/search${query({ q, limit: 8 })}`);
					hits = [...r.data.filter((x) => x.kind === 'contact'), ...r.data.filter((x) => x.kind === 'account')];
					hitsFor = q;
					selected = 0;
				}
				if (hits[selected]) {
					close();
					input.blur();
					navigate(hrefOf(hits[selected]));
				}
			};
			go();
		} else if (e.key === 'Escape') {
			close();
			input.blur();
		}
	});
	// Closing on blur waits a moment so a click on a hit lands first; focus again cancels it.
	let blurTimer;
	input.addEventListener('blur', () => (blurTimer = setTimeout(close, 200)));
	input.addEventListener('focus', () => {
		clearTimeout(blurTimer);
		if (hits.length && input.value.trim() === hitsFor) render();
	});
	return h('div', { class: 'search' }, input, list);
}

/* "/" anywhere outside a text field focuses the search box. */
export function installSearchShortcut() {
	document.addEventListener('keydown', (e) => {
		if (e.key !== '/' || e.ctrlKey || e.metaKey || e.altKey) return;
		const el = document.activeElement;
		if (el && (el.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(el.tagName))) return;
		if (document.querySelector('dialog[open]')) return;
		const box = document.getElementById('global-search');
		if (box) {
			e.preventDefault();
			box.focus();
			box.select();
		}
	});
}
