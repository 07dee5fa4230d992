export { startLocalIssuer } from './server';
export type { LocalIssuer, LocalIssuerOptions } from './server';
export {
  signToken,
  signWithState,
  readIssuerInfo,
  parseDuration,
  DEFAULT_AUDIENCE,
  DEFAULT_DATA_DIR,
  LOCAL_CLIENT_ID,
} from './sign';
export type { TokenOptions, IssuerInfo } from './sign';
export { loadOrCreateIssuerState, readIssuerState, rotateSigningKey } from './keys';
export type { IssuerState, SigningKey } from './keys';
