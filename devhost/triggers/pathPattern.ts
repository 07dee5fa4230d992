/**
 * A blob trigger `path` such as `samples-workitems/{name}` or `input/{folder}/{name}.csv`: a literal
 * container, then a blob name pattern whose `{parameters}` become binding data. `{{` and `}}` stand
 * for literal braces, as in the real host.
 */
export interface BlobPathPattern {
  container: string;
  /** Literal start of the blob name: lets a scan list only candidate blobs. */
  prefix: string;
  parameters: string[];
  /** Parameter values when `blobName` matches, else undefined. */
  match(blobName: string): Record<string, string> | undefined;
}

const CONTAINER = /^(\$root|\$logs|[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9])){2,62})$/;

export function parseBlobPath(path: string): BlobPathPattern {
  const trimmed = path.trim().replace(/^\/+/, '');
  const slash = trimmed.indexOf('/');
  const container = slash < 0 ? trimmed : trimmed.slice(0, slash);
  const blobPart = slash < 0 ? '' : trimmed.slice(slash + 1);
  if (!CONTAINER.test(container)) {
    throw new Error(`Invalid blob trigger path '${path}': '${container}' is not a valid container name (binding expressions are not allowed there).`);
  }

  let source = '^';
  let prefix = '';
  let inLiteralPrefix = true;
  const parameters: string[] = [];
  for (let i = 0; i < blobPart.length; ) {
    const c = blobPart[i]!;
    if ((c === '{' || c === '}') && blobPart[i + 1] === c) {
      source += escape(c);
      if (inLiteralPrefix) prefix += c;
      i += 2;
      continue;
    }
    if (c === '{') {
      const end = blobPart.indexOf('}', i);
      const name = end < 0 ? '' : blobPart.slice(i + 1, end);
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new Error(`Invalid blob trigger path '${path}': bad parameter at '${blobPart.slice(i)}'.`);
      if (parameters.some((p) => p.toLowerCase() === name.toLowerCase())) {
        throw new Error(`Invalid blob trigger path '${path}': parameter '${name}' appears twice.`);
      }
      parameters.push(name);
      // Greedy like the host's template regex: `{folder}/{name}` on a/b/c gives folder = a/b.
      source += '(.*)';
      inLiteralPrefix = false;
      i = end + 1;
      continue;
    }
    if (c === '}') throw new Error(`Invalid blob trigger path '${path}': unmatched '}'.`);
    source += escape(c);
    if (inLiteralPrefix) prefix += c;
    i += 1;
  }
  // A bare container (or `container/`) means every blob in it.
  const regex = blobPart === '' ? /^(?:.+)$/s : new RegExp(`${source}$`, 's');

  return {
    container,
    prefix,
    parameters,
    match(blobName: string) {
      const m = regex.exec(blobName);
      if (!m) return undefined;
      const values: Record<string, string> = {};
      parameters.forEach((p, index) => (values[p] = m[index + 1] ?? ''));
      return values;
    },
  };
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
