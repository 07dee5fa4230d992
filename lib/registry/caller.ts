/**
 * Who made a request; recorded as createdBy/lastModifiedBy. Identical to `Caller` in
 * functions/shared/authorize.ts (lib/ does not import functions/; TypeScript's structural
 * typing makes the two interchangeable).
 */
export interface Caller {
  oid: string;
  tid: string;
  name: string;
}

