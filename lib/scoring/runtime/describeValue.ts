/** What a value is, for error messages about user code: "undefined", "a string", "an instance of Map"... */
export function describeValue(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') {
    const name = (Object.getPrototypeOf(value) as { constructor?: { name?: unknown } } | null)?.constructor?.name;
    if (typeof name !== 'string' || name === 'Object') {
      const keys = Object.keys(value);
      return keys.length === 0 ? 'an empty object' : `an object (keys: ${keys.slice(0, 5).join(', ')}${keys.length > 5 ? ', ...' : ''})`;
    }
    return `${/^[AEIOU]/.test(name) ? 'an' : 'a'} ${name}`;
  }
  if (typeof value === 'function') return 'a function';
  return `a ${typeof value}`; // string, number, boolean, bigint, symbol
}
