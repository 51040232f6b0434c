import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './helpers/images.js';

// The import rules of docs/architecture.md, checked on the source: a folder imports only the folders below it, net/
// knows no built-in network, and the browser entry reaches no Node.js module.

const SRC = path.join(ROOT, 'src');

/** Which top-level folders of src/ each folder may import ('.' is the entry files at src/'s root). */
const ALLOWED: Record<string, readonly string[]> = {
  '.': ['models', 'interpret', 'net', 'image', 'io', 'backend', 'internal'],
  models: ['net', 'image', 'io', 'internal'],
  interpret: ['net', 'image', 'io', 'backend', 'internal'],
  net: ['image', 'io', 'backend', 'internal'],
  image: ['internal'],
  io: ['internal'],
  backend: ['internal'],
  internal: [],
};

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : [],
  );
}

/** The folder of src/ a file belongs to ('.' for the entry files). */
const folderOf = (file: string) => {
  const rel = path.relative(SRC, file).split(path.sep);
  return rel.length === 1 ? '.' : rel[0];
};

/** The module specifiers a file imports or re-exports (static and dynamic). */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specs = [...text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^'"]*?from\s*'([^']+)'/g)].map((m) => m[1]);
  const dynamic = [...text.matchAll(/\bimport\(\s*'([^']+)'\s*\)/g)].map((m) => m[1]);
  return [...specs, ...dynamic];
}

/** A file's text without comments, for checks that should see code only. */
const codeOf = (file: string) =>
  readFileSync(file, 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/(^|[^:])\/\/.*$/gm, '$1');

const FILES = sourceFiles(SRC);

describe('the architecture (docs/architecture.md)', () => {
  it('has a rule for every folder of src/', () => {
    const folders = [...new Set(FILES.map(folderOf))];
    expect(folders.filter((f) => !(f in ALLOWED))).toEqual([]);
  });

  it('imports only downward: each folder only from the folders its rule names', () => {
    const broken: string[] = [];
    for (const file of FILES) {
      const from = folderOf(file);
      for (const spec of importsOf(file)) {
        if (!spec.startsWith('.')) continue;
        const target = folderOf(path.resolve(path.dirname(file), spec));
        if (target !== from && !ALLOWED[from].includes(target)) {
          broken.push(`${path.relative(ROOT, file)} imports ${spec} (${from} → ${target})`);
        }
      }
    }
    expect(broken).toEqual([]);
  });

  it('keeps every built-in network out of net/: no code or comment there names one', () => {
    const models = readdirSync(path.join(SRC, 'models'));
    expect(models).toContain('squeezenet');
    // Comments too: net/'s documentation is the generic network's, shown on any model (examples name no built-in).
    const named = FILES.filter((f) => folderOf(f) === 'net').filter((f) =>
      models.some((m) => new RegExp(m, 'i').test(readFileSync(f, 'utf8'))),
    );
    expect(named.map((f) => path.relative(ROOT, f))).toEqual([]);
  });

  it('keeps the browser entry free of Node.js modules (no node:*, no *.node.ts, all the way down)', () => {
    const seen = new Set<string>();
    const nodeOnly: string[] = [];
    const visit = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      for (const spec of importsOf(file)) {
        if (spec.startsWith('node:')) nodeOnly.push(`${path.relative(ROOT, file)} imports ${spec}`);
        if (!spec.startsWith('.')) continue;
        const target = path.resolve(path.dirname(file), spec.replace(/\.js$/, '.ts'));
        if (/\.node\.ts$/.test(target)) nodeOnly.push(`${path.relative(ROOT, file)} imports ${spec}`);
        else visit(target);
      }
    };
    visit(path.join(SRC, 'browser.ts'));
    expect(seen.size).toBeGreaterThan(20);
    expect(nodeOnly).toEqual([]);
  });

  it('puts TF.js internals in one file: no other file reads a private GraphModel field', () => {
    const readers = FILES.filter((f) => /\.(artifacts|executor)\b/.test(codeOf(f))).map((f) => path.relative(SRC, f));
    expect(readers).toEqual(['net/tfjsInternals.ts']);
  });

  it('reads array arguments through one helper, listArg, which bounds their length before filling their holes', () => {
    const direct = FILES.filter((f) => /\bwithoutHoles\(/.test(codeOf(f))).map((f) => path.relative(SRC, f));
    expect(direct.sort()).toEqual(['internal/limits.ts', 'internal/validate.ts']);
  });
});
