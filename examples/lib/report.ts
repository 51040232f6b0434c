/**
 * The HTML report of a walkthrough run: per step the MATLAB lines, our TypeScript lines (both read from the step's
 * source file, so they cannot drift from what ran), the figures, their titles and what they show.
 * One self-contained file: inline CSS, images by relative path, no scripts, no external resources.
 */
import { readFileSync } from 'node:fs';
import type { StepResult } from './common.js';

/** The MATLAB lines of a step: the indented lines after `// MATLAB:` in the file's opening comment. */
export function matlabLines(source: string): string {
  const lines = source.split('\n');
  const start = lines.findIndex((l) => l.trim() === '// MATLAB:');
  if (start < 0) return '';
  const out: string[] = [];
  for (const line of lines.slice(start + 1)) {
    if (!line.startsWith('//   ')) break;
    out.push(line.slice(5));
  }
  return out.join('\n');
}

/** The TypeScript lines of a step: every `// #region walkthrough…` … `// #endregion` block, dedented. */
export function typescriptLines(source: string): string {
  const blocks: string[] = [];
  let current: string[] | null = null;
  for (const line of source.split('\n')) {
    const t = line.trim();
    if (t.startsWith('// #region walkthrough')) current = [];
    else if (t === '// #endregion' && current) {
      const indent = Math.min(...current.filter((l) => l.trim()).map((l) => l.length - l.trimStart().length));
      blocks.push(current.map((l) => l.slice(indent)).join('\n'));
      current = null;
    } else if (current) current.push(line);
  }
  return blocks.join('\n');
}

export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Light highlighting: comments and string literals (`'…'`, `"…"`, `` `…` ``). `comment` is `//` or `%`. */
export function highlight(code: string, comment: '//' | '%'): string {
  return code
    .split('\n')
    .map((line) => {
      let out = '';
      let i = 0;
      while (i < line.length) {
        const ch = line[i];
        if (line.startsWith(comment, i)) {
          out += `<span class="c">${escapeHtml(line.slice(i))}</span>`;
          break;
        }
        if (ch === "'" || ch === '"' || (ch === '`' && comment === '//')) {
          const end = line.indexOf(ch, i + 1);
          const stop = end < 0 ? line.length : end + 1;
          out += `<span class="s">${escapeHtml(line.slice(i, stop))}</span>`;
          i = stop;
          continue;
        }
        out += escapeHtml(ch);
        i++;
      }
      return out;
    })
    .join('\n');
}

export interface ReportStep {
  meta: { step: number; name: string; title: string; caption: string };
  /** Path of the step's source file. */
  file: string;
  /** Name shown for the file, e.g. `examples/02-conv1-grid.ts`. */
  shownFile: string;
  result: StepResult;
  /** The lines the step printed. */
  lines: string[];
  seconds: number;
}

export interface ReportInfo {
  backend: string;
  version: string;
  date: string;
  seconds: number;
}

const CSS = `
:root { --fg: #1f2328; --muted: #59636e; --line: #d1d9e0; --code: #f6f8fa; --accent: #0b5cad; --comment: #6a737d; --string: #0a6b30; }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; color: var(--fg); background: #fff; }
main { max-width: 1320px; margin: 0 auto; padding: 2rem 1.5rem 4rem; }
h1 { font-size: 1.9rem; margin: 0 0 .3rem; }
h2 { font-size: 1.35rem; margin: 0 0 .4rem; }
.sub { color: var(--muted); margin: 0 0 1.5rem; }
nav ol { columns: 2; padding-left: 1.4rem; margin: 0 0 2rem; }
nav a, a { color: var(--accent); text-decoration: none; }
nav a:hover, a:hover { text-decoration: underline; }
section { border-top: 1px solid var(--line); padding: 1.8rem 0 1rem; }
.num { color: var(--muted); font-weight: 400; margin-right: .4rem; }
.time { color: var(--muted); font-size: .85rem; font-weight: 400; float: right; }
.what { margin: 0 0 1rem; max-width: 75ch; }
.code { display: grid; grid-template-columns: minmax(0, 5fr) minmax(0, 6fr); gap: 1rem; margin-bottom: 1.2rem; }
.code > div { min-width: 0; }
.label { font-size: .78rem; text-transform: uppercase; letter-spacing: .06em; color: var(--muted); margin-bottom: .25rem; }
.label code { text-transform: none; letter-spacing: 0; }
pre { margin: 0; background: var(--code); border: 1px solid var(--line); border-radius: 6px; padding: .75rem .9rem; white-space: pre-wrap; overflow-wrap: anywhere; font: 12.5px/1.5 ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace; }
.c { color: var(--comment); font-style: italic; }
.s { color: var(--string); }
.figs { display: flex; flex-wrap: wrap; gap: 1.5rem; align-items: flex-start; }
figure { margin: 0; max-width: 100%; }
figure img { display: block; max-width: 100%; height: auto; border: 1px solid var(--line); background: #000; }
figcaption { font-size: .9rem; margin-top: .35rem; }
figcaption .dims { color: var(--muted); display: block; font-size: .8rem; }
.found { margin: 1rem 0 0; padding-left: 1.2rem; color: var(--fg); font-size: .92rem; }
.found li { margin: .1rem 0; }
details { margin-top: 1rem; }
summary { cursor: pointer; color: var(--accent); }
footer { border-top: 1px solid var(--line); margin-top: 2rem; padding-top: 1rem; color: var(--muted); font-size: .85rem; }
@media (max-width: 820px) { .code { grid-template-columns: 1fr; } nav ol { columns: 1; } }
`;

function stepHtml(s: ReportStep): string {
  const source = readFileSync(s.file, 'utf8');
  const id = `step-${s.meta.step}`;
  const figures = s.result.figures
    .map(
      (f) => `      <figure>
        <img src="${encodeURI(f.file)}" alt="${escapeHtml(f.title)}" width="${f.shape[1]}" height="${f.shape[0]}">
        <figcaption>${escapeHtml(f.title)}<span class="dims">${f.shape.join(' × ')} ${f.dtype} · ${escapeHtml(f.file)}</span></figcaption>
      </figure>`,
    )
    .join('\n');
  const found = s.lines.filter((l) => !l.startsWith('wrote '));
  const table = typeof s.result.facts.table === 'string' ? s.result.facts.table : '';
  return `  <section id="${id}">
    <h2><span class="num">${s.meta.step}.</span>${escapeHtml(s.meta.title)}<span class="time">${s.seconds.toFixed(2)} s</span></h2>
    <p class="what">${escapeHtml(s.meta.caption)}</p>
    <div class="code">
      <div><div class="label">MATLAB</div><pre><code>${highlight(matlabLines(source), '%')}</code></pre></div>
      <div><div class="label">TypeScript · <code>${escapeHtml(s.shownFile)}</code></div><pre><code>${highlight(typescriptLines(source), '//')}</code></pre></div>
    </div>
    <div class="figs">
${figures}
    </div>
${found.length ? `    <ul class="found">\n${found.map((l) => `      <li>${escapeHtml(l)}</li>`).join('\n')}\n    </ul>\n` : ''}${
  table ? `    <details><summary>Layer table (analyzeNetwork)</summary><pre>${escapeHtml(table)}</pre></details>\n` : ''
}  </section>`;
}

/** The parts of a report page that are not its sections. */
export interface ReportPage {
  /** The document's title. */
  title: string;
  /** The page's heading. */
  heading: string;
  /** What the page is, before the run's facts (HTML). */
  intro: string;
  /** The footer (HTML). */
  footer: string;
}

const NETWORK_CREDIT =
  "Network: SqueezeNet v1.1 (Iandola et al., arXiv:1602.07360; BSD 2-clause) with the weights of MATLAB's pretrained " +
  '<code>squeezenet</code>.';

/** The walkthrough's page. */
export const WALKTHROUGH_PAGE: ReportPage = {
  title: 'Visualize activations of a CNN: the walkthrough in TypeScript',
  heading: 'Visualize activations of a convolutional neural network',
  intro: "MATLAB's walkthrough, step by step,",
  footer:
    "Images: crops of NASA's public-domain portrait of astronaut Eileen Collins (the second with one eye painted " +
    `closed). ${NETWORK_CREDIT} Generated by <code>npm run walkthrough</code>.`,
};

/** The interpretability examples' page. */
export const INTERPRET_PAGE: ReportPage = {
  title: 'Why this class? Grad-CAM, gradients, occlusion sensitivity, LIME, deep dream and t-SNE in TypeScript',
  heading: 'Why this class? Grad-CAM, gradients, occlusion sensitivity, LIME, deep dream and t-SNE',
  intro:
    "MATLAB's interpretability examples on SqueezeNet's top class for each image, the map over the image as MATLAB " +
    'shows it (jet, alpha 0.5; the pixel-resolution gradient maps beside it, in gray), then what some of its ' +
    'channels respond to (deep dream) and how it sees many crops of the portrait at once (t-SNE),',
  footer:
    "Images: NASA's public-domain portrait of astronaut Eileen Collins (astronaut.png, resized to SqueezeNet's " +
    `227×227 input as MATLAB's examples do) and a crop of it around her face (face.png). ${NETWORK_CREDIT} Generated ` +
    'by <code>npm run interpret</code>.',
};

/** The whole report as one HTML document. */
export function renderReport(steps: ReportStep[], info: ReportInfo, page: ReportPage = WALKTHROUGH_PAGE): string {
  const nav = steps
    .map((s) => `      <li><a href="#step-${s.meta.step}">${escapeHtml(s.meta.title)}</a></li>`)
    .join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(page.title)}</title>
<style>${CSS}</style>
</head>
<body>
<main>
  <h1>${escapeHtml(page.heading)}</h1>
  <p class="sub">${page.intro} with cnn-activations ${escapeHtml(info.version)} on the
    <strong>${escapeHtml(info.backend)}</strong> backend · ${escapeHtml(info.date)} · ${info.seconds.toFixed(1)} s in all.
    Channel and class numbers are MATLAB's (1-based) with our 0-based index beside them.</p>
  <nav>
    <ol>
${nav}
    </ol>
  </nav>
${steps.map(stepHtml).join('\n')}
  <footer>
    ${page.footer}
  </footer>
</main>
</body>
</html>
`;
}
