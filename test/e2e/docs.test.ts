/**
 * The docs keep working: every relative link in README.md and docs/*.md points at a file that exists (and at a
 * heading that exists, for `#anchors`), and every code block that claims to be a program runs.
 *
 * Convention for code blocks in the docs: a ```ts / ```js block is a complete program and is run here against the
 * BUILT package (`import ... from 'cnn-activations'`), from the repository root; mark a fragment ```ts no-run
 * (GitHub shows it the same). Fragments are still checked to parse. Other languages (sh, matlab, text) are not run.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { transformSync } from 'esbuild';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, ROOT } from '../helpers/figures.js';

const DOCS = [
  'README.md',
  ...(existsSync(path.join(ROOT, 'docs'))
    ? readdirSync(path.join(ROOT, 'docs'))
        .filter((f) => f.endsWith('.md'))
        .map((f) => `docs/${f}`)
    : []),
];
const WORK = path.join(ROOT, 'test-artifacts', 'docs');

interface Block {
  file: string;
  line: number;
  lang: string;
  info: string;
  code: string;
}

/** Code fences of a markdown file (``` or ~~~, any indentation), with the line where each starts. */
function codeBlocks(file: string): Block[] {
  const lines = readFileSync(path.join(ROOT, file), 'utf8').split('\n');
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^\s*(```+|~~~+)\s*(.*)$/.exec(lines[i]);
    if (!open) continue;
    const fence = open[1];
    const body: string[] = [];
    let j = i + 1;
    while (j < lines.length && !lines[j].trim().startsWith(fence)) body.push(lines[j++]);
    const info = open[2].trim();
    blocks.push({ file, line: i + 1, lang: info.split(/\s+/)[0] ?? '', info, code: body.join('\n') });
    i = j;
  }
  return blocks;
}

/** The markdown text without its code blocks. */
function withoutCodeBlocks(file: string): string {
  const text = readFileSync(path.join(ROOT, file), 'utf8');
  return text.replace(/^\s*(```+|~~~+)[^\n]*\n[\s\S]*?^\s*\1\s*$/gm, '');
}

/** The markdown text with code blocks and inline code blanked out (links inside code are not links). */
function proseOf(file: string): string {
  return withoutCodeBlocks(file).replace(/`[^`\n]*`/g, '``');
}

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to dashes, repeats numbered. */
function anchorsOf(file: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const line of withoutCodeBlocks(file).split('\n')) {
    const m = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!m) continue;
    const base = m[1]
      .replace(/<[^>]+>/g, '')
      .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    anchors.add(n === 0 ? base : `${base}-${n}`);
  }
  return anchors;
}

/** Relative link targets of a markdown file: markdown links and images, and HTML src/href attributes. */
function linksOf(file: string): string[] {
  const prose = proseOf(file);
  const targets = [
    ...[...prose.matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].map((m) => m[1]),
    ...[...prose.matchAll(/^\s*\[[^\]]+\]:\s*(\S+)/gm)].map((m) => m[1]),
    ...[...prose.matchAll(/\s(?:src|href)="([^"]+)"/g)].map((m) => m[1]),
  ];
  return targets.filter((t) => !/^[a-z][a-z0-9+.-]*:/i.test(t));
}

describe('links in README.md and docs/*.md', () => {
  it('README.md exists', () => {
    expect(existsSync(path.join(ROOT, 'README.md'))).toBe(true);
  });

  for (const file of DOCS.filter((f) => existsSync(path.join(ROOT, f)))) {
    it(`${file}: every relative link resolves`, () => {
      const broken: string[] = [];
      for (const target of linksOf(file)) {
        const [rawPath, anchor] = target.split('#');
        const resolved = rawPath
          ? path.resolve(path.dirname(path.join(ROOT, file)), decodeURI(rawPath))
          : path.join(ROOT, file);
        if (!resolved.startsWith(ROOT + path.sep) && resolved !== ROOT) {
          broken.push(`${target} (outside the repository)`);
          continue;
        }
        if (!existsSync(resolved)) {
          broken.push(`${target} (no such file)`);
          continue;
        }
        if (anchor && statSync(resolved).isFile() && resolved.endsWith('.md')) {
          const anchors = anchorsOf(path.relative(ROOT, resolved));
          if (!anchors.has(anchor))
            broken.push(`${target} (no heading #${anchor}; there are ${[...anchors].join(', ')})`);
        }
      }
      expect(broken).toEqual([]);
    });
  }
});

/** What the pages' fragments take from the blocks before them: names and their types. */
const CONTEXT: Record<string, string> = {
  net: 'Network',
  im: 'tf.Tensor',
  imgSize: '[number, number]',
  // The pages cast one image's activations to what they are, as the examples do.
  act1: 'tf.Tensor3D',
  act6: 'tf.Tensor3D',
  act6relu: 'tf.Tensor3D',
};
const LIBRARY = [
  'activations',
  'analyzeNetwork',
  'classify',
  'imread',
  'imresize',
  'imtile',
  'imwrite',
  'importNetwork',
  'initBackend',
  'mat2gray',
  'maxChannel',
  'maxChannelIndex',
  'squeezenet',
  'uint8',
];

/** Imports and `declare`s that let a fragment typecheck: only what it uses and does not make or import itself. */
function fragmentContext(code: string): string {
  const made = new Set([...code.matchAll(/\b(?:const|let|var|function)\s+(\w+)/g)].map((m) => m[1]));
  const imported = new Set(
    [...code.matchAll(/import\s*(?:type\s*)?\{([^}]*)\}/g)].flatMap((m) => m[1].split(',').map((x) => x.trim())),
  );
  const uses = (name: string) => new RegExp(`\\b${name}\\b`).test(code);
  const lib = [...LIBRARY, 'type Network'].filter((n) => {
    const bare = n.replace('type ', '');
    return !imported.has(bare) && !made.has(bare) && (n === 'type Network' || uses(bare));
  });
  const lines = [`import { ${lib.join(', ')} } from 'cnn-activations';`];
  if (!/import \* as tf\b/.test(code)) lines.push(`import * as tf from '@tensorflow/tfjs-core';`);
  for (const [name, type] of Object.entries(CONTEXT)) {
    if (uses(name) && !made.has(name)) lines.push(`declare let ${name}: ${type};`);
  }
  return `${lines.join('\n')}\n`;
}

const blocks = DOCS.filter((f) => existsSync(path.join(ROOT, f))).flatMap(codeBlocks);
const scripts = blocks.filter((b) => ['ts', 'typescript', 'js', 'javascript', 'mjs'].includes(b.lang));
const runnable = scripts.filter((b) => !/\bno-run\b/.test(b.info));

describe('code blocks in the docs', () => {
  it('there are runnable blocks (the convention is in use)', () => {
    expect(runnable.length).toBeGreaterThan(0);
  });

  for (const b of scripts) {
    it(`${b.file}:${b.line} parses`, () => {
      const loader = b.lang.startsWith('t') ? 'ts' : 'js';
      expect(() => transformSync(b.code, { loader, format: 'esm', sourcefile: `${b.file}:${b.line}` })).not.toThrow();
    });
  }

  it('every TypeScript block typechecks under strict against the built package (fragments with their context)', () => {
    ensureBuilt();
    const dir = path.join(ROOT, 'test-artifacts', 'docs-types');
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const files = scripts
      .filter((b) => b.lang.startsWith('t'))
      .map((b) => {
        const name = `${b.file.replace(/[/.]/g, '_')}_${b.line}.ts`;
        // A fragment (no-run) continues the page's story: it gets the library's imports and the variables the page
        // made before it, declared with their types, unless it makes them itself. `export {}` keeps every block a
        // module of its own (top-level await, no clashes between blocks).
        const preamble = /\bno-run\b/.test(b.info) ? fragmentContext(b.code) : '';
        writeFileSync(path.join(dir, name), `${preamble}${b.code}\nexport {};\n`);
        return name;
      });
    const compilerOptions = {
      strict: true,
      noEmit: true,
      target: 'es2022',
      module: 'nodenext',
      moduleResolution: 'nodenext',
      lib: ['es2022'],
      types: ['node'],
      skipLibCheck: true,
    };
    writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions, files }, null, 2));
    // Inside the repository: 'cnn-activations' resolves to the built package's types through its self-reference.
    const r = spawnSync(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', dir], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    expect(r.status, `${r.stdout}${r.stderr}`).toBe(0);
    expect(files.length).toBeGreaterThan(10);
  });

  describe('runnable blocks run against the built package', () => {
    beforeAll(() => {
      ensureBuilt();
      rmSync(WORK, { recursive: true, force: true });
      mkdirSync(WORK, { recursive: true });
    });

    for (const b of runnable) {
      it(`${b.file}:${b.line} runs`, () => {
        // Inside the repository, so that `import 'cnn-activations'` resolves through the package's self-reference.
        const ext = b.lang.startsWith('t') ? 'ts' : 'mjs';
        const script = path.join(WORK, `${b.file.replace(/[/.]/g, '_')}_${b.line}.${ext}`);
        writeFileSync(script, b.code + '\n');
        // examples/tsconfig.json has no `paths`: 'cnn-activations' is dist/, not src/ (the root tsconfig maps it to src/).
        const env = { ...process.env, TSX_TSCONFIG_PATH: path.join(ROOT, 'examples', 'tsconfig.json') };
        const r = spawnSync(process.execPath, ['--import', 'tsx', script], {
          cwd: ROOT,
          encoding: 'utf8',
          timeout: 300_000,
          env,
        });
        expect(r.status, `${b.file}:${b.line} failed:\n${r.stdout}\n${r.stderr}`).toBe(0);
      });
    }
  });
});
