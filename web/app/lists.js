// lists.js — the account and contact lists: sort by column, filters (owner, tag, tier, last
// contact older than N days, free text), keyset paging through the API's cursors (constant time
// per page however deep), and export of the whole filtered list (CSV, XLSX, vCard) by the server.
// Filters and sort live in the URL, so a list can be shared and survives a reload.
import { get, query } from './api.js';
import { h, mount, debounce } from './dom.js';
import { t, number } from './i18n.js';
import { accountOf } from './names.js';
import { state, userName, canWrite } from './state.js';
import { errorText, notice, select, spinner, tierBadge } from './ui.js';
import { openRecordForm } from './forms.js';

const PAGE = 50;

const KINDS = {
	contacts: {
		entity: 'contact',
		columns: [
			{ key: 'name', sort: 'name', cell: (r) => h('a', { href: `/contacts/${r.id}`, class: 'row-link', text: r.name }) },
			{ key: 'account', cell: (r) => accountCell(r.account_id) },
			{ key: 'title', cell: (r) => r.title || '' },
			{ key: 'phone', cell: (r) => (r.phones[0] ? r.phones[0].number : '') },
			{ key: 'email', cell: (r) => (r.emails[0] ? r.emails[0].address : '') },
			{ key: 'owner', cell: (r) => userName(r.owner_id) },
			{ key: 'tier', sort: 'tier', cell: (r) => tierBadge(r.tier) },
			{ key: 'tags', cell: (r) => tagList(r.tags) },
		],
	},
	accounts: {
		entity: 'account',
		columns: [
			{ key: 'name', sort: 'name', cell: (r) => h('a', { href: `/accounts/${r.id}`, class: 'row-link', text: r.name }) },
			{ key: 'industry', cell: (r) => r.industry || '' },
			{ key: 'website', cell: (r) => r.website || '' },
			{ key: 'owner', cell: (r) => userName(r.owner_id) },
			{ key: 'tier', sort: 'tier', cell: (r) => tierBadge(r.tier) },
			{ key: 'tags', cell: (r) => tagList(r.tags) },
		],
	},
};

function tagList(tags) {
	return h('span', { class: 'tags' }, tags.map((x) => h('span', { class: 'tag', text: x })));
}

function accountCell(id) {
	if (!id) return '';
	const a = h('a', { href: `/accounts/${id}`, class: 'muted', text: '…' });
	accountOf(id).then((acc) => mount(a, acc ? acc.name : `#${id}`));
	return a;
}

/* YYYY-MM-DD of N days ago (UTC): the API's last_contact_before. */
export function daysAgo(n) {
	return new Date(Date.now() - n * 86400000).toISOString().slice(0, 10);
}

/* The API query of the list's filters as they stand in the page's URL. */
function apiFilters(params) {
	const f = {};
	if (params.get('q')) f.q = params.get('q');
	if (params.get('owner')) f.owner_id = params.get('owner') === 'me' ? state.me.id : params.get('owner');
	if (params.get('account')) f.account_id = params.get('account');
	if (params.get('tag')) f.tag = params.get('tag');
	if (params.get('tier')) f.tier = params.get('tier');
	const stale = parseInt(params.get('stale') || '', 10);
	if (stale > 0) f.last_contact_before = daysAgo(stale);
	if (params.get('sort')) f.sort = params.get('sort');
	return f;
}

export function renderList(main, plural, params) {
	const kind = KINDS[plural];
	let cursors = [null]; // cursors[i]: the cursor of page i
	let pageIndex = 0;

	const setParam = (key, value) => {
		if (value) params.set(key, value);
		else params.delete(key);
		const s = params.toString();
		history.replaceState(null, '', `/${plural}${s ? `?${s}` : ''}`);
		cursors = [null];
		pageIndex = 0;
		load();
	};

	const ownerOptions = [['', t('filter.anyone')], ['me', t('filter.mine')]];
	for (const u of state.users.values()) if (u.id !== state.me.id) ownerOptions.push([String(u.id), u.display_name || u.username]);
	const owner = select('owner', ownerOptions, params.get('owner') || '');
	owner.addEventListener('change', () => setParam('owner', owner.value));
	const tier = select('tier', [['', t('filter.any_tier')], ['gold', t('tier.gold')], ['silver', t('tier.silver')], ['bronze', t('tier.bronze')]], params.get('tier') || '');
	tier.addEventListener('change', () => setParam('tier', tier.value));
	const tag = h('input', { name: 'tag', type: 'text', value: params.get('tag') || '', placeholder: t('filter.tag') });
	tag.addEventListener('input', debounce(() => setParam('tag', tag.value.trim()), 300));
	const stale = h('input', { name: 'stale', type: 'number', min: '1', max: '36500', value: params.get('stale') || '', placeholder: t('filter.days'), class: 'narrow' });
	stale.addEventListener('input', debounce(() => setParam('stale', /^\d+$/.test(stale.value) && +stale.value > 0 ? stale.value : ''), 300));
	const q = h('input', { name: 'q', type: 'search', value: params.get('q') || '', placeholder: t('filter.text') });
	q.addEventListener('input', debounce(() => setParam('q', q.value.trim()), 300));

	const label = (text, input) => h('label', { class: 'filter' }, h('span', { text }), input);
	const filters = h(
		'div',
		{ class: 'filters' },
		label(t('filter.search'), q),
		label(t('field.owner_id'), owner),
		label(t('field.tag'), tag),
		label(t('field.tier'), tier),
		label(t('filter.stale'), stale),
	);
	const table = h('table', { class: 'data-table', id: 'list-table' });
	const pager = h('div', { class: 'pager' });
	const status = h('div', { class: 'list-status', role: 'status' });
	const exportButtons = h(
		'div',
		{ class: 'export-group', role: 'group', 'aria-label': t('export.label') },
		h('button', { type: 'button', id: 'export-csv', onclick: () => exportFile('csv'), text: t('list.export') }),
		h('button', { type: 'button', id: 'export-xlsx', onclick: () => exportFile('xlsx'), text: t('export.xlsx') }),
		plural === 'contacts' ? h('button', { type: 'button', id: 'export-vcf', onclick: () => exportFile('vcf'), text: t('export.vcf') }) : '',
	);
	const newButton = canWrite(kind.entity)
		? h('button', { type: 'button', class: 'primary', id: 'new-record', text: t(`${kind.entity}.new`), onclick: () => openRecordForm(kind.entity, null) })
		: '';
	mount(
		main,
		h('div', { class: 'page-head' }, h('h1', { text: t(`nav.${plural}`) }), h('div', { class: 'actions' }, exportButtons, newButton)),
		filters,
		h('div', { class: 'table-wrap' }, table),
		h('div', { class: 'list-foot' }, status, pager),
	);

	function header() {
		const sort = params.get('sort') || 'name';
		return h(
			'thead',
			null,
			h(
				'tr',
				null,
				kind.columns.map((c) => {
					if (!c.sort) return h('th', { class: `col-${c.key}`, text: t(`column.${c.key}`) });
					const asc = sort === c.sort;
					const desc = sort === `-${c.sort}`;
					return h(
						'th',
						{ class: `col-${c.key}`, 'aria-sort': asc ? 'ascending' : desc ? 'descending' : 'none' },
						h('button', { type: 'button', class: 'sort', dataset: { sort: c.sort }, onclick: () => setParam('sort', asc ? `-${c.sort}` : c.sort === 'name' ? '' : c.sort) }, t(`column.${c.key}`), asc ? ' ▲' : desc ? ' ▼' : ''),
					);
				}),
			),
		);
	}

	let seq = 0;
	async function load() {
		const mine = ++seq;
		mount(table, header(), h('tbody', null, h('tr', null, h('td', { colspan: kind.columns.length }, spinner()))));
		try {
			const r = await get(`/${plural}${query({ ...apiFilters(params), limit: PAGE, cursor: cursors[pageIndex] })}`);
			if (mine !== seq) return;
			cursors[pageIndex + 1] = r.next_cursor;
			const body = h(
				'tbody',
				null,
				r.data.length
					? r.data.map((row) => h('tr', { dataset: { id: row.id } }, kind.columns.map((c) => h('td', { class: `col-${c.key}` }, c.cell(row)))))
					: h('tr', null, h('td', { colspan: kind.columns.length, class: 'empty', text: t('list.empty') })),
			);
			mount(table, header(), body);
			mount(status, t('list.page', { page: number(pageIndex + 1), count: number(r.data.length) }));
			mount(
				pager,
				h('button', { type: 'button', id: 'prev-page', disabled: pageIndex === 0, onclick: () => (pageIndex--, load()), text: t('list.prev') }),
				h('button', { type: 'button', id: 'next-page', disabled: !r.next_cursor, onclick: () => (pageIndex++, load()), text: t('list.next') }),
			);
		} catch (e) {
			if (mine === seq) mount(table, header(), h('tbody', null, h('tr', null, h('td', { colspan: kind.columns.length, class: 'error', text: errorText(e) }))));
		}
	}

	/* The whole filtered list as a file, written by the server (GET /exports/{kind}?format=
	 * with the list's filters): CSV with a BOM, XLSX, or vCard for contacts. */
	function exportFile(format) {
		const a = h('a', { href: `/api/v1/exports/${plural}${query({ ...apiFilters(params), format })}`, download: '' });
		document.body.append(a);
		a.click();
		a.remove();
		notice(t('export.started'));
	}

	load();
}
