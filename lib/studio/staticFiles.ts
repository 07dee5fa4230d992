import { readFile } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';

/** What the studio route answers: bytes (or nothing for 404) and the headers that go with them. */
export interface StaticAnswer {
  status: number;
  body?: Buffer;
  headers: Record<string, string>;
}

// The few kinds of file a Vite build emits; anything else is served as bytes.
const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

export const contentTypeOf = (file: string): string => CONTENT_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream';

/** Vite names built assets `<name>-<hash>.<ext>` under assets/: their content never changes under that name. */
const isHashedAsset = (path: string): boolean => /^assets\/[^/]+-[A-Za-z0-9_-]{8,}\.[a-z0-9]+$/.test(path);

// The page is public; these keep it from being framed or sniffed and limit where it may connect.
const PAGE_HEADERS = {
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
};

/**
 * Serves the built single-page app from `root`: files by path, hashed assets cached for a year,
 * index.html never cached (it names the current assets), and index.html for any page path
 * (client-side routes), but a 404 for a missing asset so a stale page fails loudly, not with HTML.
 */
export class StaticFiles {
  private readonly cache = new Map<string, Buffer>();

  /** `pageHeaders`: added to HTML answers (e.g. a Content-Security-Policy that depends on settings). */
  constructor(
    private readonly root: string,
    private readonly pageHeaders: Record<string, string> = {},
  ) {}

  async answer(rawPath: string | undefined): Promise<StaticAnswer> {
    const path = (rawPath ?? '').replace(/^\/+/, '');
    const resolved = this.resolve(path);
    if (resolved) {
      const body = await this.read(resolved);
      if (body) {
        const cache = isHashedAsset(path) ? 'public, max-age=31536000, immutable' : 'no-cache';
        const html = extname(resolved) === '.html' ? this.pageHeaders : {};
        return { status: 200, body, headers: { 'Content-Type': contentTypeOf(resolved), 'Cache-Control': cache, ...PAGE_HEADERS, ...html } };
      }
    }
    if (path.startsWith('assets/') || extname(path) !== '') {
      return { status: 404, headers: { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-cache' }, body: Buffer.from('Not found.\n') };
    }
    const index = await this.read(join(this.root, 'index.html'));
    if (!index) {
      const hint = 'The studio is not built here: run `npm run build` (it builds the studio into dist/studio).\n';
      return { status: 404, headers: { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-cache' }, body: Buffer.from(hint) };
    }
    return { status: 200, body: index, headers: { 'Content-Type': contentTypeOf('index.html'), 'Cache-Control': 'no-cache', ...PAGE_HEADERS, ...this.pageHeaders } };
  }

  /** The file under root that `path` names, or undefined for '', folders-looking paths and escapes. */
  private resolve(path: string): string | undefined {
    if (path === '' || path.endsWith('/') || path.includes('\0')) return undefined;
    const full = normalize(join(this.root, path));
    return full.startsWith(this.root.endsWith(sep) ? this.root : this.root + sep) ? full : undefined;
  }

  /** Built files never change while the app runs: read each once. */
  private async read(file: string): Promise<Buffer | undefined> {
    const cached = this.cache.get(file);
    if (cached) return cached;
    try {
      const body = await readFile(file);
      this.cache.set(file, body);
      return body;
    } catch {
      return undefined;
    }
  }
}
