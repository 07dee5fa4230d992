// Reads the Bicep files under infra/ with the tree-sitter Bicep grammar (no Bicep CLI offline).
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative } from 'node:path';
import { Language, Parser, type Node } from 'web-tree-sitter';
import { repoRoot } from '../support/devhost';

export const infraDir = join(repoRoot, 'infra');

export interface BicepFile {
  /** Path relative to the repository root. */
  path: string;
  text: string;
  root: Node;
}

/** Every .bicep file under infra/, sorted. */
export function bicepPaths(dir = infraDir): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.bicep'))
    .map((entry) => join(entry.parentPath, entry.name))
    .sort();
}

let parser: Promise<Parser> | undefined;

function bicepParser(): Promise<Parser> {
  parser ??= (async () => {
    await Parser.init();
    const language = await Language.load(createRequire(join(repoRoot, 'package.json')).resolve('tree-sitter-bicep/tree-sitter-bicep.wasm'));
    return new Parser().setLanguage(language);
  })();
  return parser;
}

/**
 * Bicep renamed the `provider` statement to `extension` (same shape: keyword and a string);
 * tree-sitter-bicep 1.1.0, the only Bicep grammar on npm, knows only the old keyword. This swaps
 * the keyword of a top-level `extension '<string>'` statement and nothing else, keeping every
 * offset (both words take 10 characters with their trailing space).
 */
export function forGrammar(text: string): string {
  return text.replace(/^extension (?=')/gm, 'provider  ');
}

export async function parseBicepText(text: string, path = '<text>'): Promise<BicepFile> {
  const tree = (await bicepParser()).parse(forGrammar(text));
  if (!tree) throw new Error(`tree-sitter returned no tree for ${path}`);
  return { path, text, root: tree.rootNode };
}

export async function parseBicep(file: string): Promise<BicepFile> {
  return parseBicepText(readFileSync(file, 'utf8'), relative(repoRoot, file));
}

export async function parseAllBicep(): Promise<BicepFile[]> {
  return Promise.all(bicepPaths().map(parseBicep));
}

const present = (nodes: (Node | null)[]): Node[] => nodes.filter((n): n is Node => n !== null);

export const childrenOf = (node: Node): Node[] => present(node.namedChildren);

/** Error and missing nodes, as `line:column text` (1-based lines). */
export function syntaxErrors(root: Node): string[] {
  const found: string[] = [];
  const visit = (node: Node): void => {
    if (node.isError || node.isMissing) {
      found.push(`${node.startPosition.row + 1}:${node.startPosition.column + 1} ${node.isMissing ? 'missing ' : ''}${JSON.stringify(node.text.slice(0, 80))}`);
    }
    for (const child of present(node.children)) visit(child);
  };
  visit(root);
  return found;
}

export const descendants = (node: Node, type: string): Node[] => present(node.descendantsOfType(type));

const ESCAPES: Record<string, string> = { "\\'": "'", '\\\\': '\\', '\\n': '\n', '\\r': '\r', '\\t': '\t', '\\$': '$' };

/** The text of a string literal without interpolation; undefined for anything else. */
export function literalString(node: Node | undefined): string | undefined {
  if (!node || node.type !== 'string') return undefined;
  const parts = childrenOf(node);
  if (parts.some((p) => p.type !== 'string_content' && p.type !== 'escape_sequence')) return undefined;
  return parts.map((p) => (p.type === 'escape_sequence' ? (ESCAPES[p.text] ?? p.text) : p.text)).join('');
}

/** An object_property's key (identifier or quoted string) and its value node. */
export function propertyOf(property: Node): { key: string; value: Node } | undefined {
  const [keyNode, value] = childrenOf(property);
  if (!keyNode || !value) return undefined;
  const key = keyNode.type === 'string' ? literalString(keyNode) : keyNode.text;
  return key === undefined ? undefined : { key, value };
}

/** Properties of an object literal, in order. */
export function propertiesOf(object: Node): { key: string; value: Node }[] {
  return childrenOf(object)
    .filter((n) => n.type === 'object_property')
    .map(propertyOf)
    .filter((p): p is { key: string; value: Node } => p !== undefined);
}

/** `var <name> = <value>` declarations of a file, by name. */
export function variablesOf(file: BicepFile): Map<string, Node> {
  const vars = new Map<string, Node>();
  for (const declaration of childrenOf(file.root).filter((n) => n.type === 'variable_declaration')) {
    const [name, value] = childrenOf(declaration);
    if (name && value) vars.set(name.text, value);
  }
  return vars;
}

/** The names of the decorators right before a declaration (e.g. `description`). */
export function decoratorNames(declaration: Node): string[] {
  const before = declaration.previousNamedSibling;
  if (!before || before.type !== 'decorators') return [];
  return descendants(before, 'decorator').map((d) => {
    const call = childrenOf(d)[0];
    const callee = call?.childForFieldName('function') ?? call;
    return callee?.text.replace(/^sys\./, '') ?? '';
  });
}

/** Resource declarations: symbolic name, type string, body object (also of loops and conditions). */
export function resourcesOf(file: BicepFile): { name: string; type: string; body: Node; node: Node }[] {
  return descendants(file.root, 'resource_declaration').flatMap((node) => {
    const [name, type, value] = childrenOf(node);
    const typeText = literalString(type);
    const body =
      value?.type === 'for_statement' ? value.childForFieldName('body') : value?.type === 'if_statement' ? childrenOf(value).at(-1) : value;
    return name && typeText && body?.type === 'object' ? [{ name: name.text, type: typeText, body, node }] : [];
  });
}

/**
 * The string values an expression can take, followed through variables, `var.property`,
 * arrays, parentheses, both branches of `?:` and loop variables (`for x in <iterable>`).
 * Undefined when any part is not a literal (a parameter, a function call).
 */
export function stringValues(file: BicepFile, node: Node): string[] | undefined {
  const vars = variablesOf(file);
  const values = (n: Node): string[] | undefined => {
    switch (n.type) {
      case 'string': {
        const text = literalString(n);
        return text === undefined ? undefined : [text];
      }
      case 'array':
        return all(childrenOf(n).map(values));
      case 'parenthesized_expression':
        return values(childrenOf(n)[0]!);
      case 'ternary_expression':
        return all([n.childForFieldName('consequence'), n.childForFieldName('alternative')].map((b) => (b ? values(b) : undefined)));
      case 'member_expression': {
        const object = n.childForFieldName('object');
        const property = n.childForFieldName('property');
        const target = object?.type === 'identifier' ? vars.get(object.text) : undefined;
        const value = target?.type === 'object' && property ? propertiesOf(target).find((p) => p.key === property.text)?.value : undefined;
        return value ? values(value) : undefined;
      }
      case 'identifier': {
        const declared = vars.get(n.text);
        if (declared) return values(declared);
        const iterable = loopIterable(n);
        return iterable ? values(iterable) : undefined;
      }
      default:
        return undefined;
    }
  };
  return values(node);
}

const all = (parts: (string[] | undefined)[]): string[] | undefined =>
  parts.every((p) => p !== undefined) ? parts.flat() : undefined;

/** For an identifier that is the variable of an enclosing `[for x in <iterable>: ...]`, the iterable. */
function loopIterable(identifier: Node): Node | undefined {
  for (let n = identifier.parent; n; n = n.parent) {
    if (n.type !== 'for_statement') continue;
    const [variable, iterable] = childrenOf(n);
    if (variable?.type === 'identifier' && variable.text === identifier.text) return iterable;
  }
  return undefined;
}
