// dom.js — the only way the app builds DOM: elements from tag, properties and children, text
// always through text nodes (never innerHTML), events through addEventListener. Data shown this
// way cannot become markup, whatever a customer's name contains.

/* h('a', {href: '/x', class: 'link', onclick: fn, dataset: {id: 1}}, 'text', child, [more]) */
export function h(tag, props, ...children) {
	const el = document.createElement(tag);
	for (const [key, value] of Object.entries(props || {})) {
		if (value === undefined || value === null || value === false) continue;
		if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
		else if (key === 'class') el.className = value;
		else if (key === 'dataset') Object.assign(el.dataset, value);
		else if (key === 'text') el.textContent = value;
		else if (key in el && typeof value !== 'string') el[key] = value;
		else el.setAttribute(key, value === true ? '' : String(value));
	}
	append(el, children);
	return el;
}

export function append(el, children) {
	for (const child of children.flat(Infinity)) {
		if (child === undefined || child === null || child === false) continue;
		el.append(child instanceof Node ? child : document.createTextNode(String(child)));
	}
	return el;
}

export function clear(el) {
	while (el.firstChild) el.firstChild.remove();
	return el;
}

/* Replaces el's children. */
export function mount(el, ...children) {
	clear(el);
	return append(el, children);
}

export function debounce(fn, ms) {
	let timer;
	return (...args) => {
		clearTimeout(timer);
		timer = setTimeout(() => fn(...args), ms);
	};
}
