// forms.js — create and edit forms for accounts, contacts and interactions, and the conflict
// explanation used everywhere a save can meet someone else's newer version (409 on "version"):
// the user sees what the other person changed and chooses; their own input is never thrown away.
import { get, patch, post } from './api.js';
import { h, mount } from './dom.js';
import { t, dateTime } from './i18n.js';
import { navigate } from './router.js';
import { FIELDS, display, editor, splitField } from './fields.js';
import { state, userName } from './state.js';
import { errorText, field, notice, openDialog, select } from './ui.js';
import { forgetAccount } from './names.js';
import { checkDuplicates, duplicateWarning, showWarnings } from './quality.js';

export const CHANNELS = ['phone', 'email', 'chat', 'sms', 'web', 'visit', 'meeting', 'social', 'forum'];
const plural = (entity) => `${entity}s`;

/* Shows why a save was refused and offers the two ways out. original: what the user started
 * from; mine: the fields they wanted to change. resolve(record) receives the record to show. */
export async function explainConflict(box, entity, original, mine, resolve) {
	let latest;
	try {
		latest = await get(`/${plural(entity)}/${original.id}`);
	} catch (e) {
		mount(box, h('div', { class: 'conflict', role: 'alert', text: errorText(e) }));
		return;
	}
	const specs = FIELDS[entity] || [];
	const changed = Object.keys(latest).filter((k) => !['version', 'updated_at', 'created_at'].includes(k) && JSON.stringify(latest[k]) !== JSON.stringify(original[k]));
	const specOf = (k) => specs.find((s) => s.name === k) || { name: k, type: 'text' };
	const overwrite = h('button', {
		type: 'button',
		class: 'primary',
		id: 'conflict-overwrite',
		text: t('conflict.keep_mine'),
		onclick: async () => {
			try {
				const saved = await patch(`/${plural(entity)}/${original.id}`, { ...mine, version: latest.version });
				notice(t('common.saved'));
				resolve(saved);
			} catch (e) {
				mount(box, h('div', { class: 'conflict', role: 'alert', text: errorText(e) }));
			}
		},
	});
	mount(
		box,
		h(
			'div',
			{ class: 'conflict', role: 'alert', id: 'conflict' },
			h('strong', { text: t('conflict.title') }),
			h('p', { text: t('conflict.text', { when: dateTime(latest.updated_at), version: latest.version }) }),
			changed.length
				? h('dl', { class: 'conflict-fields' }, changed.map((k) => [h('dt', { text: t(`field.${k}`) }), h('dd', null, display(specOf(k), latest[k]))]))
				: '',
			h('p', { class: 'muted', text: t('conflict.mine', { fields: Object.keys(mine).map((k) => t(`field.${k}`)).join(', ') }) }),
			h('div', { class: 'actions' }, overwrite, h('button', { type: 'button', id: 'conflict-theirs', text: t('conflict.take_theirs'), onclick: () => resolve(latest) })),
		),
	);
}

/* The create form (record null) or full edit form of an account or contact. */
export function openRecordForm(entity, record, { defaults = {}, onSaved } = {}) {
	const dialog = openDialog(t(record ? `${entity}.edit` : `${entity}.new`));
	const specs = FIELDS[entity].filter((s) => s.type !== 'owner' || state.me.role === 'admin' || record);
	const source = record || { owner_id: state.me.id, ...defaults };
	const editors = specs.map((spec) => {
		const ed = editor(spec, source[spec.name]);
		const f = field(t(`field.${spec.name}`) + (spec.required ? ' *' : ''), ed.input || ed.el);
		if (!ed.input) f.row.querySelector('label').removeAttribute('for');
		return { spec, ed, f };
	});
	const formError = h('div', { class: 'form-error', role: 'alert' });
	formError.hidden = true;
	const conflictBox = h('div');
	const dupBox = h('div');
	let dupChecked = false; // the user saw the likely duplicates and chose to save anyway
	const save = h('button', { type: 'submit', class: 'primary', id: 'form-save', text: t('action.save') });
	const form = h('form', { class: 'record-form', novalidate: true }, editors.map((e) => e.f.row), formError, dupBox, conflictBox, h('div', { class: 'actions' }, save, h('button', { type: 'button', text: t('action.cancel'), onclick: () => dialog.close() })));
	const done = (saved) => {
		dialog.close();
		if (entity === 'account') forgetAccount(saved.id);
		if (onSaved) onSaved(saved);
		else navigate(`/${plural(entity)}/${saved.id}`);
	};
	form.addEventListener('submit', async (e) => {
		e.preventDefault();
		editors.forEach(({ f, ed }) => (ed.error ? ed.error(null) : f.error(null)));
		formError.hidden = true;
		const body = {};
		for (const { spec, ed } of editors) {
			const v = ed.value();
			if (record) {
				if (JSON.stringify(v) !== JSON.stringify(record[spec.name] ?? null) && !(v === null && record[spec.name] === undefined)) body[spec.name] = v;
			} else if (v !== null && !(Array.isArray(v) && !v.length) && !(typeof v === 'object' && !Array.isArray(v) && v && !Object.keys(v).length)) body[spec.name] = v;
		}
		if (record && !Object.keys(body).length) return dialog.close();
		save.disabled = true;
		if ((entity === 'contact' || entity === 'account') && !record && !dupChecked) {
			const candidates = await checkDuplicates(body, entity);
			if (candidates.length) {
				save.disabled = false;
				mount(dupBox, duplicateWarning(candidates, () => ((dupChecked = true), form.requestSubmit()), entity));
				dupBox.scrollIntoView({ block: 'nearest' });
				return;
			}
		}
		try {
			const saved = record ? await patch(`/${plural(entity)}/${record.id}`, { ...body, version: record.version }) : await post(`/${plural(entity)}`, body);
			notice(t('common.saved'));
			showWarnings(saved);
			done(saved);
		} catch (err) {
			if (err.status === 409 && err.field === 'version') {
				explainConflict(conflictBox, entity, record, body, done);
			} else {
				const { root, index } = splitField(err.field);
				const target = editors.find((x) => x.spec.name === root);
				if (target && target.ed.error) target.ed.error(err.message, index);
				else if (target) target.f.error(err.message);
				else {
					mount(formError, errorText(err));
					formError.hidden = false;
				}
				if (target) (target.ed.input || target.ed.el).scrollIntoView({ block: 'nearest' });
			}
		} finally {
			save.disabled = false;
		}
	});
	mount(dialog.body, form);
	editors[0].ed.focus();
	return dialog;
}

/* "2026-11-22T10:30" in local time for <input type=datetime-local>. */
function localInputValue(d = new Date()) {
	const pad = (n) => String(n).padStart(2, '0');
	return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/* Logs a call, visit, meeting... or a note. One short form; context is {contact_id} or
 * {account_id}. A note has no channel in the data model: it goes to the record's notes,
 * dated, with the same version check as any edit. */
export function openInteractionForm(context, { record, onSaved, kind = 'phone', interaction } = {}) {
	const dialog = openDialog(t(interaction ? 'interaction.edit' : 'interaction.log'));
	const types = [...CHANNELS, 'note'];
	const channel = select('channel', types.map((c) => [c, t(`channel.${c}`)]), interaction ? interaction.channel : kind);
	const direction = select('direction', [['outbound', t('direction.outbound')], ['inbound', t('direction.inbound')]], interaction ? interaction.direction : 'outbound');
	const when = h('input', { type: 'datetime-local', name: 'occurred_at', value: localInputValue(interaction ? new Date(interaction.occurred_at) : new Date()) });
	const minutes = h('input', { type: 'number', name: 'duration', min: '0', step: '1', class: 'narrow', value: interaction && interaction.duration_s !== null ? String(Math.round(interaction.duration_s / 60)) : '' });
	const subject = h('input', { type: 'text', name: 'subject', value: (interaction && interaction.subject) || '' });
	const body = h('textarea', { name: 'body', rows: 4 });
	body.value = (interaction && interaction.body) || '';
	const outcome = h('input', { type: 'text', name: 'outcome', value: (interaction && interaction.outcome) || '' });
	const f = {
		channel: field(t('field.channel'), channel),
		direction: field(t('field.direction'), direction),
		occurred_at: field(t('field.occurred_at'), when),
		duration_s: field(t('field.duration_min'), minutes),
		subject: field(t('field.subject'), subject),
		body: field(t('field.body'), body),
		outcome: field(t('field.outcome'), outcome),
	};
	const formError = h('div', { class: 'form-error', role: 'alert' });
	formError.hidden = true;
	const conflictBox = h('div');
	const save = h('button', { type: 'submit', class: 'primary', id: 'interaction-save', text: t('action.save') });
	const sync = () => {
		const note = channel.value === 'note';
		for (const k of ['direction', 'occurred_at', 'duration_s', 'subject', 'outcome']) f[k].row.hidden = note;
		f.duration_s.row.hidden = note || !['phone', 'meeting', 'visit', 'chat'].includes(channel.value);
	};
	channel.addEventListener('change', sync);
	if (interaction) channel.querySelector('option[value="note"]').remove();
	sync();
	const form = h('form', { class: 'record-form interaction-form', novalidate: true }, h('div', { class: 'row2' }, f.channel.row, f.direction.row), h('div', { class: 'row2' }, f.occurred_at.row, f.duration_s.row), f.subject.row, f.body.row, f.outcome.row, formError, conflictBox, h('div', { class: 'actions' }, save, h('button', { type: 'button', text: t('action.cancel'), onclick: () => dialog.close() })));
	let payload = {};
	form.addEventListener('submit', async (e) => {
		e.preventDefault();
		Object.values(f).forEach((x) => x.error(null));
		formError.hidden = true;
		save.disabled = true;
		try {
			if (channel.value === 'note') {
				if (!body.value.trim()) {
					f.body.error(t('interaction.note_empty'));
					return;
				}
				const entity = context.contact_id ? 'contact' : 'account';
				const stamp = `[${dateTime(new Date().toISOString())} ${userName(state.me.id)}]`;
				const notes = `${stamp} ${body.value.trim()}${record.notes ? `\n\n${record.notes}` : ''}`;
				try {
					const saved = await patch(`/${plural(entity)}/${record.id}`, { notes, version: record.version });
					dialog.close();
					notice(t('common.saved'));
					onSaved && onSaved({ note: true, record: saved });
				} catch (err) {
					if (err.status === 409) {
						// Someone changed the record: re-read it and put the note on top of their notes.
						const fresh = await get(`/${plural(entity)}/${record.id}`);
						record = fresh;
						mount(formError, t('interaction.note_conflict'));
						formError.hidden = false;
					} else throw err;
				}
				return;
			}
			payload = {
				channel: channel.value,
				direction: direction.value,
				occurred_at: when.value ? new Date(when.value).toISOString().replace(/\.\d{3}Z$/, 'Z') : undefined,
				subject: subject.value.trim() || null,
				body: body.value.trim() || null,
				outcome: outcome.value.trim() || null,
			};
			if (!f.duration_s.row.hidden && minutes.value !== '') payload.duration_s = Math.round(Number(minutes.value) * 60);
			let saved;
			if (interaction) saved = await patch(`/interactions/${interaction.id}`, { ...payload, version: interaction.version });
			else {
				for (const k of Object.keys(payload)) if (payload[k] === null || payload[k] === undefined) delete payload[k];
				saved = await post('/interactions', { ...context, ...payload });
			}
			dialog.close();
			notice(t('interaction.saved'));
			onSaved && onSaved({ interaction: saved });
		} catch (err) {
			if (err.status === 409 && err.field === 'version' && interaction) {
				explainConflict(conflictBox, 'interaction', interaction, payload, (latest) => {
					dialog.close();
					onSaved && onSaved({ interaction: latest });
				});
			} else {
				const target = f[splitField(err.field).root];
				if (target) target.error(err.message);
				else {
					mount(formError, errorText(err));
					formError.hidden = false;
				}
			}
		} finally {
			save.disabled = false;
		}
	});
	mount(dialog.body, form);
	channel.focus();
	return dialog;
}
