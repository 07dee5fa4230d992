export type MessageEncoding = 'base64' | 'none';

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * Message text as the function sees it. With `base64` (the host.json default) the text is
 * decoded; a message that is not valid base64 (sent by a tool that does not encode) is passed
 * through as it is rather than failing.
 */
export function decodeMessageText(raw: string, encoding: MessageEncoding): string {
  if (encoding === 'none') return raw;
  const compact = raw.replace(/\s+/g, '');
  if (compact.length % 4 !== 0 || !BASE64.test(compact)) return raw;
  return Buffer.from(compact, 'base64').toString('utf8');
}

/** Message text to send so that a host with `encoding` reads back `text`. */
export function encodeMessageText(text: string, encoding: MessageEncoding): string {
  return encoding === 'none' ? text : Buffer.from(text, 'utf8').toString('base64');
}
