// Writes the table of every Jobs API field's class (acts, kept, refused) into docs/api.md, between
// its field-classes markers, from core/schema/field-classes.ts. A unit test keeps the doc current.
import fs from 'node:fs';
import path from 'node:path';
import { FIELD_CLASSES_DOC_MARKERS, fieldClassesMarkdown } from '../core';

export const apiDocFile = (root: string): string => path.join(root, 'docs', 'api.md');

/** The doc with its field table replaced by the current one. */
export function withFieldTable(doc: string): string {
  const { start, end } = FIELD_CLASSES_DOC_MARKERS;
  const from = doc.indexOf(start);
  const to = doc.indexOf(end);
  if (from < 0 || to < from) throw new Error(`docs/api.md lacks the markers ${start} … ${end}`);
  return `${doc.slice(0, from + start.length)}\n${fieldClassesMarkdown()}${doc.slice(to)}`;
}

if (require.main === module) {
  const file = apiDocFile(path.resolve(__dirname, '..', '..'));
  fs.writeFileSync(file, withFieldTable(fs.readFileSync(file, 'utf8')));
  console.log(`wrote the field table of ${file}`);
}
