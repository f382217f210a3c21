// The report page: one self-contained HTML file (inline CSS, SVG charts, PNG data URIs and a few lines of
// script for the class picker), so it opens from file:// with no network. Small builders of escaped HTML.

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Fixed-point number, or n/a for NaN and infinities. */
export const fixed = (v: number, digits = 3): string => (Number.isFinite(v) ? v.toFixed(digits) : 'n/a');

/** One example as a figure: the upscaled image with a caption of its values. */
export interface Thumbnail {
  src: string; // data:image/png;base64,...
  caption: string; // e.g. "mem 0.95 ± 0.03"
  title: string; // hover text, e.g. "train #4711, class 3"
}

export function thumbnail(t: Thumbnail, extraClass = ''): string {
  return `<figure class="example${extraClass ? ` ${extraClass}` : ''}"><img src="${t.src}" alt="${escapeHtml(t.title)}" title="${escapeHtml(t.title)}"><figcaption>${escapeHtml(t.caption)}</figcaption></figure>`;
}

export function chart(title: string, svg: string, caption: string): string {
  return `<figure class="chart"><figcaption><b>${escapeHtml(title)}</b> ${escapeHtml(caption)}</figcaption>${svg.replace(/^<\?xml[^>]*>/, '')}</figure>`;
}

export function facts(rows: [string, string][]): string {
  return `<table class="facts">${rows.map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`).join('')}</table>`;
}

export function table(header: string[], rows: string[][]): string {
  const head = `<tr>${header.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr>`;
  return `<table class="data">${head}${rows.map((r) => `<tr>${r.map((c) => `<td>${escapeHtml(c)}</td>`).join('')}</tr>`).join('')}</table>`;
}

/** A piece the run directory does not have yet, with the command that makes it. */
export function missing(what: string, command: string): string {
  return `<p class="missing">${escapeHtml(what)}: not in this run directory yet; <code>${escapeHtml(command)}</code> makes it.</p>`;
}

export function warning(text: string): string {
  return `<p class="warning">${escapeHtml(text)}</p>`;
}

export const paragraph = (text: string): string => `<p>${escapeHtml(text)}</p>`;

export function section(id: string, title: string, body: string): string {
  return `<section id="${id}"><h2>${escapeHtml(title)}</h2>${body}</section>`;
}

const STYLE = `
body{font:14px/1.45 system-ui,sans-serif;margin:0 auto;max-width:1180px;padding:0 20px 40px;color:#222}
h1{font-size:22px;margin:18px 0 4px}h2{font-size:18px;border-bottom:1px solid #ddd;padding-bottom:3px;margin-top:30px}
h3{font-size:15px;margin:14px 0 6px}nav a{margin-right:12px}code{background:#f3f3f3;padding:0 3px;border-radius:3px}
table.facts{margin-bottom:14px}table.facts th{text-align:left;font-weight:600;padding:1px 14px 1px 0;vertical-align:top}table.facts td{padding:1px 0}
table.data{border-collapse:collapse;margin:6px 0}table.data th,table.data td{border:1px solid #ddd;padding:2px 8px;text-align:right}
.charts{display:flex;flex-wrap:wrap;gap:18px}figure{margin:0}figure.chart{max-width:520px}figure.chart figcaption{font-size:12.5px;margin-bottom:4px}
.missing{color:#555;font-style:italic}.warning{background:#fff4d6;border-left:4px solid #e0a800;padding:4px 10px}
.strip{display:flex;flex-wrap:wrap;gap:6px;align-items:flex-start}
figure.example{width:100px;flex:none;text-align:center}figure.example img{width:80px;height:80px;image-rendering:pixelated;border:1px solid #ccc;display:block;margin:0 auto}
figure.example figcaption{font-size:11px;line-height:1.25;margin-top:2px}
.gallery{display:grid;grid-template-columns:1fr 1fr;gap:20px}.class-gallery[hidden]{display:none}
.panels{display:flex;flex-wrap:wrap;column-gap:36px}.panel{display:flex;gap:8px;align-items:flex-start;margin:4px 0;padding:6px 0;border-bottom:1px dotted #ddd}
.panel .train img{border:2px solid #d62728}.panel .arrow{align-self:center;color:#888;font-size:20px}
label{font-weight:600}select{font:inherit;margin-left:6px}
`;

/** The class picker: shows the gallery of the chosen class and hides the others. */
const SCRIPT = `
const picker = document.getElementById('class-picker');
if (picker) picker.addEventListener('change', () => {
  for (const g of document.querySelectorAll('.class-gallery')) g.hidden = g.dataset.class !== picker.value;
});
`;

export function page(title: string, subtitle: string, nav: [string, string][], sections: string[]): string {
  const links = nav.map(([id, name]) => `<a href="#${id}">${escapeHtml(name)}</a>`).join('');
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src 'unsafe-inline'">
<title>${escapeHtml(title)}</title><style>${STYLE}</style></head>
<body><h1>${escapeHtml(title)}</h1><p>${escapeHtml(subtitle)}</p><nav>${links}</nav>
${sections.join('\n')}
<script>${SCRIPT}</script></body></html>
`;
}
