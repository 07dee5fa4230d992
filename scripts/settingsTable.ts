#!/usr/bin/env node
// `npm run settings-table`: rewrites the README's app settings table from app/settings.ts, the one
// list of settings (test/app/settings.test.ts fails when the committed README differs).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SETTINGS_TABLE } from '../app/settings';

export const BEGIN = '<!-- settings table: generated from app/settings.ts by `npm run settings-table` -->';
export const END = '<!-- end of settings table -->';

/** The markdown table of every app setting, one row each. */
export function settingsTableMarkdown(): string {
  const rows = SETTINGS_TABLE.map((s) => `| \`${s.name}\` | ${s.default || ' '} | ${s.description} |`);
  return ['| setting | default | what |', '|---|---|---|', ...rows].join('\n');
}

/** `readme` with the text between the markers replaced by the generated table. */
export function withSettingsTable(readme: string): string {
  const start = readme.indexOf(BEGIN);
  const end = readme.indexOf(END);
  if (start < 0 || end < start) throw new Error(`README.md has no '${BEGIN}' ... '${END}' section.`);
  return `${readme.slice(0, start + BEGIN.length)}\n${settingsTableMarkdown()}\n${readme.slice(end)}`;
}

if (require.main === module) {
  const file = join(__dirname, '..', '..', 'README.md');
  writeFileSync(file, withSettingsTable(readFileSync(file, 'utf8')));
  console.log(`README.md: ${SETTINGS_TABLE.length} settings.`);
}
