import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

// Flows are pure and speak only through locale keys. These checks read the source, so that a sentence
// typed into a flow or the engine, or a clock read in a flow, fails here rather than in a participant's
// chat.

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const tsFiles = (dir: string) =>
  readdirSync(join(root, dir), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts'))
    .map((f) => join(dir, f));

const LOG_METHODS = new Set(['trace', 'debug', 'info', 'warn', 'error', 'fatal']);

/** Literals that developers read, not participants: error messages and log lines. */
function forDevelopers(node: ts.Node): boolean {
  for (let n: ts.Node | undefined = node.parent; n; n = n.parent) {
    if (ts.isNewExpression(n) && /Error$/.test(n.expression.getText())) return true;
    if (ts.isCallExpression(n) && ts.isPropertyAccessExpression(n.expression)) {
      if (LOG_METHODS.has(n.expression.name.text)) return true;
    }
    if (ts.isStatement(n)) return false;
  }
  return false;
}

/** Every string literal that reads like a sentence: three or more words, a space, and no code symbols. */
function sentences(file: string): string[] {
  const source = ts.createSourceFile(
    file,
    readFileSync(join(root, file), 'utf8'),
    ts.ScriptTarget.ES2022,
    true,
  );
  const found: string[] = [];
  const visit = (node: ts.Node) => {
    let text: string | null = null;
    if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) text = node.text;
    else if (ts.isTemplateExpression(node))
      text = [node.head.text, ...node.templateSpans.map((s) => s.literal.text)].join('');
    const isModule =
      node.parent && (ts.isImportDeclaration(node.parent) || ts.isExportDeclaration(node.parent));
    if (text !== null && !isModule && !forDevelopers(node)) {
      const words = text.match(/\p{L}{2,}/gu) ?? [];
      // code in a string (a Lua script, SQL, a regular expression) has symbols that prose does not
      const code = /[=;{}[\]<>|&$\\]/.test(text);
      if (words.length >= 3 && /\s/.test(text) && !code) found.push(`${file}: ${JSON.stringify(text)}`);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

describe('no participant-facing sentence outside locales/', () => {
  const files = [...tsFiles('flows'), ...tsFiles('src/conversations')];

  it('scans the flows and the conversation room', () => {
    expect(files).toContain(join('flows', 'bill.ts'));
    expect(files).toContain(join('src/conversations', 'render.ts'));
  });

  it('finds no sentence-like string literal in them', () => {
    expect(files.flatMap(sentences)).toEqual([]);
  });

  it('would notice one', () => {
    const probe = ts.createSourceFile(
      'x.ts',
      "const a = 'Maaf, kami belum paham.';",
      ts.ScriptTarget.ES2022,
      true,
    );
    let hit = false;
    probe.forEachChild(function walk(n): void {
      if (ts.isStringLiteral(n) && (n.text.match(/\p{L}{2,}/gu) ?? []).length >= 3) hit = true;
      n.forEachChild(walk);
    });
    expect(hit).toBe(true);
  });
});

describe('flows are pure', () => {
  const files = tsFiles('flows');
  const read = (f: string) =>
    readFileSync(join(root, f), 'utf8')
      .replace(/\/\*[\s\S]*?\*\//g, '')
      .replace(/^\s*\/\/.*$/gm, '');

  it.each(files)('%s imports only xstate and flows/', (file) => {
    const specifiers = [...read(file).matchAll(/from '([^']+)'/g)].map((m) => m[1]);
    for (const s of specifiers) expect(s === 'xstate' || s?.startsWith('./'), `${file}: ${s}`).toBe(true);
  });

  it.each(files)('%s reads no clock and no randomness, and schedules nothing', (file) => {
    const code = read(file);
    expect(code).not.toMatch(/Date\.now|new Date\(|Math\.random|performance\.now|setTimeout|setInterval/);
    expect(code).not.toMatch(/\bafter:\s*\{|\binvoke:\s*[{[]/);
  });
});
