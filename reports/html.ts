/** A complete, self-contained, printable HTML document for the reports (no external assets). */
import { escapeHtml } from './common';

/** Inline styles: readable on screen, A4 on paper, tables and project sections kept whole. */
export const REPORT_CSS = `
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 60rem; padding: 2rem 2.5rem; color: #1a1a1a; background: #fff;
  font-family: "Noto Serif CJK SC", "Source Han Serif SC", "Songti SC", SimSun, serif; font-size: 15px; line-height: 1.75; }
h1 { text-align: center; color: #b5121b; font-size: 1.9rem; margin: 1.5rem 0 0.5rem; letter-spacing: 0.05em; }
h2 { color: #b5121b; border-bottom: 2px solid #b5121b; padding-bottom: 0.2rem; margin-top: 2.2rem; font-size: 1.35rem; }
h3 { font-size: 1.12rem; margin: 1.6rem 0 0.4rem; }
p.meta { text-align: center; color: #555; margin: 0 0 1.5rem; }
table { border-collapse: collapse; width: 100%; margin: 0.6rem 0 1rem; font-size: 0.92rem; }
th, td { border: 1px solid #999; padding: 0.3rem 0.5rem; text-align: left; vertical-align: top; }
th { background: #f6e7e7; font-weight: 600; }
td.num, th.num { text-align: right; white-space: nowrap; }
.figures { display: flex; flex-wrap: wrap; gap: 0.6rem; margin: 0.8rem 0; padding: 0; list-style: none; }
.figures li { border: 1px solid #d9b3b3; border-radius: 4px; padding: 0.4rem 0.8rem; min-width: 8.5rem; }
.figures b { display: block; font-size: 1.35rem; color: #b5121b; }
.badge { display: inline-block; border: 1px solid #b5121b; color: #b5121b; border-radius: 3px; padding: 0 0.35rem; font-size: 0.8rem; margin-left: 0.4rem; }
.warn { color: #b5121b; font-weight: 600; }
.empty { color: #777; }
nav.toc { border: 1px solid #ddd; padding: 0.8rem 1.2rem; margin: 1rem 0 2rem; }
nav.toc ol { margin: 0.3rem 0; padding-left: 1.4rem; }
nav.toc a { color: #1a1a1a; text-decoration: none; }
nav.toc a:hover { text-decoration: underline; }
section.project { border-top: 1px dashed #bbb; padding-top: 0.4rem; }
dl.fields { display: grid; grid-template-columns: 8.5rem 1fr; gap: 0.15rem 0.8rem; margin: 0.4rem 0; }
dl.fields dt { color: #555; }
dl.fields dd { margin: 0; }
figure.chart { margin: 0.8rem 0; text-align: center; }
figure.chart svg { max-width: 100%; height: auto; }
.charts { display: flex; flex-wrap: wrap; gap: 0.5rem 1rem; justify-content: center; align-items: flex-start; }
.charts figure.chart { margin: 0.4rem 0; }
footer { margin-top: 3rem; color: #777; font-size: 0.85rem; text-align: center; }
@page { size: A4; margin: 18mm 16mm; }
@media print {
  body { max-width: none; padding: 0; font-size: 11pt; }
  a { color: inherit; text-decoration: none; }
  nav.toc { break-after: page; page-break-after: always; border: none; }
  section.unit { break-before: page; page-break-before: always; }
  section.project, table, .figures, dl.fields, figure.chart { break-inside: avoid; page-break-inside: avoid; }
  tr { break-inside: avoid; page-break-inside: avoid; }
  h2, h3 { break-after: avoid; page-break-after: avoid; }
  thead { display: table-header-group; }
}
`;

/** Wraps an already-escaped body into a complete document; only `title` is escaped here. */
export function htmlDocument(title: string, body: string): string {
  return [
    '<!doctype html>',
    '<html lang="zh-CN">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(title)}</title>`,
    `<style>${REPORT_CSS}</style>`,
    '</head>',
    '<body>',
    body,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

/** A table whose cells are already-escaped HTML; `numeric` columns are right-aligned. */
export function htmlTable(headers: readonly string[], rows: readonly (readonly string[])[], numeric: readonly number[] = []): string {
  const cls = (i: number) => (numeric.includes(i) ? ' class="num"' : '');
  const head = `<thead><tr>${headers.map((h, i) => `<th${cls(i)}>${escapeHtml(h)}</th>`).join('')}</tr></thead>`;
  const body = rows.map((r) => `<tr>${r.map((c, i) => `<td${cls(i)}>${c}</td>`).join('')}</tr>`).join('\n');
  return `<table>${head}<tbody>\n${body}\n</tbody></table>`;
}

/** A Markdown table; cells must already be escaped with escapeMarkdown. */
export function markdownTable(headers: readonly string[], rows: readonly (readonly string[])[], numeric: readonly number[] = []): string {
  const align = headers.map((_, i) => (numeric.includes(i) ? '---:' : '---'));
  return [`| ${headers.join(' | ')} |`, `| ${align.join(' | ')} |`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}
