// imports.js — the import page: choose a file (CSV, XLSX, vCard), its type, encoding and phone
// region and the time zone of times written without an offset (or let the server tell: the
// preview says which zone it read them in, and an empty field shows that as its default), see
// the column mapping the server proposes (POST /imports/preview) and change it, a dry run with
// its counts and rejected rows, then the real run as a background job polled from GET
// /imports/{id} with a progress bar and a cancel button. A changed mapping is saved as a named
// mapping (POST /import-mappings) and the run refers to it by name: that is how the API takes a
// mapping. A mapping saved before (GET /import-mappings) can be chosen for the next file: the
// preview applies it, the mapping step shows it, and the run names it (changing it there saves
// it again under its name). A saved mapping the user may change (`editable`: its author, a
// manager, an admin) can be deleted from the picker after a confirmation in a <dialog>
// (DELETE /import-mappings/{id}).
import { ApiError, api, get, post, query } from './api.js';
import { h, mount } from './dom.js';
import { t, has, number } from './i18n.js';
import { state } from './state.js';
import { errorText, field, notice, openDialog, select } from './ui.js';

const KINDS = ['contacts', 'accounts', 'interactions', 'orders'];
const ENCODINGS = ['utf-8', 'gb18030', 'gbk', 'big5'];
const RUNNING = ['queued', 'running', 'cancelling'];
// Offered in the time zone field; any other IANA name can be typed (the server checks it).
const ZONES = ['Asia/Shanghai', 'Asia/Hong_Kong', 'Asia/Taipei', 'Asia/Singapore', 'Asia/Tokyo', 'Europe/London', 'America/New_York', 'America/Los_Angeles', 'UTC'];

/* POST of the file's bytes as the raw body (the API also takes multipart). */
async function upload(path, file) {
	let res;
	try {
		res = await fetch(`/api/v1${path}`, {
			method: 'POST',
			headers: { accept: 'application/json', 'x-requested-with': 'guanxi', 'content-type': 'application/octet-stream' },
			credentials: 'same-origin',
			body: await file.arrayBuffer(),
		});
	} catch {
		throw new ApiError(0, { error: { code: 'network', message: 'network' } });
	}
	const json = await res.json().catch(() => null);
	if (!res.ok) throw new ApiError(res.status, json);
	return json;
}

const fieldLabel = (f) => (has(`import.field.${f}`) ? t(`import.field.${f}`) : has(`field.${f}`) ? t(`field.${f}`) : f);

export function renderImport(main) {
	const file = h('input', { type: 'file', id: 'import-file', name: 'file', accept: '.csv,.txt,.tsv,.xlsx,.vcf,.vcard,text/csv,text/vcard' });
	const kind = select('type', [['', t('import.auto')], ...KINDS.map((k) => [k, t(`import.kind.${k}`)])], '');
	kind.id = 'import-type';
	const encoding = select('encoding', [['', t('import.auto')], ...ENCODINGS.map((e) => [e, e.toUpperCase()])], '');
	encoding.id = 'import-encoding';
	const region = h('input', { type: 'text', id: 'import-region', name: 'region', class: 'narrow', maxlength: '2', placeholder: t('import.region_auto') });
	const timezone = h('input', { type: 'text', id: 'import-timezone', name: 'timezone', list: 'import-timezones', autocomplete: 'off', spellcheck: 'false', placeholder: t('import.timezone_auto') });
	const zones = h('datalist', { id: 'import-timezones' }, ZONES.map((z) => h('option', { value: z })));
	const saved = select('mapping', [['', t('import.saved_none')]], '');
	saved.id = 'import-saved';
	const deleteBtn = h('button', { type: 'button', class: 'danger', id: 'import-saved-delete', text: t('import.saved_delete') });
	deleteBtn.hidden = true;
	let mappings = []; // the saved mappings: [{id, name, kind, mapping, user_id, editable}]
	const previewBtn = h('button', { type: 'button', class: 'primary', id: 'import-preview', text: t('import.preview') });
	const mappingBox = h('div', { id: 'import-mapping' });
	const resultBox = h('div', { id: 'import-result' });
	const status = h('div', { class: 'form-error', role: 'alert', id: 'import-error' });
	status.hidden = true;
	const showError = (e) => {
		mount(status, typeof e === 'string' ? e : errorText(e));
		status.hidden = false;
	};
	let proposal = null; // the server's proposed mapping for the chosen file and options
	let inEffect = ''; // the name of the saved mapping the proposal shows, '' for none
	let mapping = {}; // header -> field or null, as the user has it
	let job = null;
	let polling = 0;

	const opts = () => ({
		type: kind.value || undefined,
		encoding: encoding.value || undefined,
		region: region.value.trim().toUpperCase() || undefined,
		timezone: timezone.value.trim() || undefined,
		mapping: saved.value || undefined,
		filename: file.files[0] ? file.files[0].name : undefined,
	});

	/* The saved mappings as options, those of the chosen type only; the choice is kept. */
	function drawSaved() {
		const keep = saved.value;
		const fits = mappings.filter((m) => !kind.value || m.kind === kind.value);
		mount(
			saved,
			h('option', { value: '', text: t('import.saved_none') }),
			fits.map((m) => h('option', { value: m.name, selected: m.name === keep, text: t('import.saved_option', { name: m.name, kind: t(`import.kind.${m.kind}`) }) })),
		);
		saved.value = fits.some((m) => m.name === keep) ? keep : '';
		drawDelete();
	}
	/* The delete button: for the chosen saved mapping, when this user may change it. */
	function drawDelete() {
		const m = mappings.find((x) => x.name === saved.value);
		deleteBtn.hidden = !(m && m.editable);
	}
	async function loadSaved() {
		try {
			mappings = (await get('/import-mappings')).data || [];
		} catch (e) {
			mappings = [];
			showError(e);
		}
		drawSaved();
	}

	function reset() {
		proposal = null;
		mount(mappingBox);
		mount(resultBox);
		status.hidden = true;
		polling++;
	}
	for (const el of [file, kind, encoding]) el.addEventListener('change', reset);
	// Text fields reset as they are typed in, not on leaving them: a reset on 'change' hid the
	// error above the buttons as the pointer went down on one, the button moved up and the
	// click was lost.
	for (const el of [region, timezone]) el.addEventListener('input', reset);
	kind.addEventListener('change', drawSaved);
	// Choosing a saved mapping takes its type and shows it applied to the chosen file.
	saved.addEventListener('change', () => {
		reset();
		drawDelete();
		const m = mappings.find((x) => x.name === saved.value);
		if (m) kind.value = m.kind;
		if (file.files[0]) previewBtn.click();
	});
	deleteBtn.addEventListener('click', () => {
		const m = mappings.find((x) => x.name === saved.value);
		if (m) confirmDelete(m);
	});

	/* Asks in a dialog, deletes, and draws the list as the server now has it. */
	function confirmDelete(m) {
		const dialog = openDialog(t('import.saved_delete_title'));
		const go = h('button', { type: 'button', class: 'danger', id: 'import-saved-delete-confirm', text: t('import.saved_delete_confirm') });
		const err = h('div', { class: 'form-error', role: 'alert' });
		err.hidden = true;
		go.addEventListener('click', async () => {
			go.disabled = true;
			try {
				await api('DELETE', `/import-mappings/${m.id}`);
				dialog.close();
				if (saved.value === m.name) saved.value = '';
				if (inEffect === m.name) inEffect = '';
				notice(t('import.saved_deleted', { name: m.name }));
				await loadSaved();
			} catch (e) {
				mount(err, errorText(e));
				err.hidden = false;
				go.disabled = false;
			}
		});
		mount(
			dialog.body,
			h('p', { id: 'import-saved-delete-ask', text: t('import.saved_delete_ask', { name: m.name, kind: t(`import.kind.${m.kind}`) }) }),
			err,
			h('div', { class: 'actions' }, go, h('button', { type: 'button', id: 'import-saved-delete-cancel', text: t('action.cancel'), onclick: () => dialog.close() })),
		);
		go.focus();
	}

	previewBtn.addEventListener('click', async () => {
		reset();
		if (!file.files[0]) return showError(t('import.choose_file'));
		previewBtn.disabled = true;
		try {
			proposal = await upload(`/imports/preview${query(opts())}`, file.files[0]);
			inEffect = saved.value;
			mapping = { ...proposal.mapping };
			// The zone the server read times in: the field's own, else its default.
			if (!timezone.value.trim() && proposal.timezone) timezone.placeholder = t('import.timezone_default', { zone: proposal.timezone });
			drawMapping();
		} catch (e) {
			showError(e);
		} finally {
			previewBtn.disabled = false;
		}
	});

	function drawMapping() {
		const p = proposal;
		const used = new Set();
		const rows = p.headers.map((hd, i) => {
			const sel = select(`map-${i}`, [['', t('import.ignore')], ...p.fields.map((f) => [f, fieldLabel(f)])], mapping[hd] || '');
			sel.dataset.header = hd;
			sel.setAttribute('aria-label', `${t('import.column')} ${hd}`);
			sel.addEventListener('change', () => (mapping[hd] = sel.value || null));
			if (mapping[hd]) used.add(mapping[hd]);
			return h('tr', { dataset: { header: hd } }, h('td', { class: 'import-header', text: hd || `#${i + 1}` }), h('td', null, sel));
		});
		const name = h('input', { type: 'text', id: 'import-mapping-name', value: (inEffect || `${p.kind}: ${file.files[0].name}`).slice(0, 100) });
		const nameField = field(t('import.mapping_name'), name, { hint: t('import.mapping_name_hint') });
		const dry = h('button', { type: 'button', id: 'import-dry', text: t('import.dry_run') });
		const run = h('button', { type: 'button', class: 'primary', id: 'import-run', text: t('import.run') });
		dry.addEventListener('click', () => start(true, name.value.trim(), [dry, run]));
		run.addEventListener('click', () => start(false, name.value.trim(), [dry, run]));
		mount(
			mappingBox,
			h(
				'section',
				{ class: 'card' },
				h('h2', { class: 'card-title', text: t('import.mapping') }),
				h('p', { class: 'muted', id: 'import-detected', text: t('import.detected', { kind: t(`import.kind.${p.kind}`), format: p.format.toUpperCase(), encoding: (p.encoding || '').toUpperCase(), rows: number(p.rows) }) }),
				p.timezone ? h('p', { class: 'muted', id: 'import-zone', text: t('import.zone_used', { zone: p.timezone }) }) : '',
				inEffect ? h('p', { class: 'hint', id: 'import-applied', text: t('import.saved_applied', { name: inEffect }) }) : '',
				h('table', { class: 'data-table compact import-map' }, h('thead', null, h('tr', null, h('th', { text: t('import.column') }), h('th', { text: t('import.field') }))), h('tbody', null, rows)),
				nameField.row,
				h('div', { class: 'actions' }, dry, run),
			),
		);
	}

	/* Dry or real run: the mapping as the user left it — the chosen saved mapping by its name,
	 * or, when changed, saved under the name given and used by it. */
	async function start(dryRun, mappingName, buttons) {
		status.hidden = true;
		const changed = Object.keys(mapping).some((k) => (mapping[k] || null) !== (proposal.mapping[k] || null));
		const o = { ...opts(), type: proposal.kind, mapping: inEffect || undefined, dry_run: dryRun ? 'true' : 'false' };
		buttons.forEach((b) => (b.disabled = true));
		try {
			if (changed) {
				if (!mappingName) throw t('import.mapping_name_needed');
				await post('/import-mappings', { name: mappingName, kind: proposal.kind, mapping });
				o.mapping = inEffect = mappingName;
				proposal.mapping = { ...mapping }; // saved: what a next run compares with
				loadSaved();
			}
			job = await upload(`/imports${query(o)}`, file.files[0]);
			await follow(job, buttons);
		} catch (e) {
			showError(e);
			buttons.forEach((b) => (b.disabled = false));
		}
	}

	async function follow(first, buttons) {
		const mine = ++polling;
		let j = first;
		const progress = h('div', { class: 'q-fill' });
		const bar = h('div', { class: 'q-bar import-bar', role: 'progressbar', 'aria-valuemin': '0', 'aria-valuemax': '100', id: 'import-progress' }, progress);
		const line = h('div', { class: 'muted', id: 'import-status' });
		const zone = h('div', { class: 'muted', id: 'import-result-zone', text: j.timezone ? t('import.zone_used', { zone: j.timezone }) : '' });
		const cancel = h('button', { type: 'button', id: 'import-cancel', text: t('import.cancel') });
		cancel.hidden = j.dry_run;
		cancel.addEventListener('click', async () => {
			cancel.disabled = true;
			try {
				await post(`/imports/${j.id}/cancel`);
			} catch (e) {
				showError(e);
			}
		});
		const counts = h('dl', { class: 'import-counts', id: 'import-counts' });
		const rejects = h('div', { id: 'import-rejects' });
		mount(resultBox, h('section', { class: 'card', id: 'import-job', dataset: { job: String(j.id) } }, h('h2', { class: 'card-title', text: t(j.dry_run ? 'import.dry_result' : 'import.result') }), bar, line, zone, counts, rejects, h('div', { class: 'actions' }, cancel)));
		const draw = () => {
			const p = Math.round((j.progress || 0) * 100);
			progress.style.width = `${p}%`;
			bar.setAttribute('aria-valuenow', String(p));
			mount(line, t('import.status_line', { status: t(`import.status.${j.status}`), done: number(j.rows_done), total: number(j.rows_total) }), j.message ? ` · ${j.message}` : '');
			mount(counts, ['created', 'updated', 'duplicates', 'rejected'].map((k) => h('div', { class: `import-count c-${k}`, dataset: { count: k } }, h('dt', { text: t(`import.count.${k}`) }), h('dd', { text: number(j[k]) }))));
		};
		draw();
		while (RUNNING.includes(j.status)) {
			await new Promise((r) => setTimeout(r, 400));
			if (mine !== polling) return;
			j = await get(`/imports/${j.id}`);
			draw();
		}
		cancel.hidden = true;
		buttons.forEach((b) => (b.disabled = false));
		if (j.rejects && j.rejects.length)
			mount(
				rejects,
				h('h3', { text: t('import.rejected_rows', { count: number(j.rejected) }) }),
				h(
					'div',
					{ class: 'table-wrap' },
					h('table', { class: 'data-table compact', id: 'import-rejects-table' }, h('thead', null, h('tr', null, ['line', 'field', 'message'].map((k) => h('th', { text: t(`import.reject.${k}`) })))), h('tbody', null, j.rejects.map((r) => h('tr', null, h('td', { class: 'num', text: number(r.line) }), h('td', { text: r.field || '' }), h('td', { text: r.message }))))),
				),
			);
		main.dataset.ready = `import-${j.dry_run ? 'dry' : 'real'}-${j.status}`;
		if (!j.dry_run && j.status === 'done') notice(t('import.finished', { created: number(j.created), updated: number(j.updated) }));
	}

	mount(
		main,
		h('div', { class: 'page-head' }, h('h1', { text: t('import.title') })),
		h('p', { class: 'muted', text: t('import.intro') }),
		h(
			'section',
			{ class: 'card import-form' },
			h(
				'div',
				{ class: 'filters' },
				field(t('import.file'), file).row,
				field(t('import.type'), kind).row,
				field(t('import.encoding'), encoding).row,
				field(t('import.region'), region).row,
				field(t('import.timezone'), timezone, { hint: t('import.timezone_hint') }).row,
				zones,
				h('div', { class: 'import-saved-pick' }, field(t('import.saved'), saved, { hint: t('import.saved_hint') }).row, deleteBtn),
			),
			status,
			h('div', { class: 'actions' }, previewBtn),
		),
		mappingBox,
		resultBox,
	);
	loadSaved();
}
