/**
 * True for URLs that point at this machine (a local issuer). The WHATWG parser canonicalises
 * `http://2130706433/` or `http://0x7f.1/` to 127.0.0.1 first, so those spellings are caught too.
 */
export function isLocalUrl(value: string): boolean {
  let host: string;
  try {
    host = new URL(value).hostname.toLowerCase();
  } catch {
    return false;
  }
  return (
    host === 'localhost' ||
    host.endsWith('.localhost') ||
    /^127\.\d+\.\d+\.\d+$/.test(host) ||
    host === '0.0.0.0' ||
    host === '[::1]' ||
    host === '[::]' ||
    host.startsWith('[::ffff:7f') ||
    host === '[::ffff:0:0]'
  );
}
