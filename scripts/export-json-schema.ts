// Writes docs/job-settings.schema.json, the JSON Schema of JobSettings for editors
// (e.g. VS Code's yaml.schemas / json.schemas). A unit test keeps the committed file current.
import fs from 'node:fs';
import path from 'node:path';
import { jobSettingsJsonSchema } from '../core';

export const schemaFile = (root: string): string => path.join(root, 'docs', 'job-settings.schema.json');
export const schemaText = (): string => `${JSON.stringify(jobSettingsJsonSchema(), null, 2)}\n`;

if (require.main === module) {
  const root = path.resolve(__dirname, '..', '..');
  fs.writeFileSync(schemaFile(root), schemaText());
  console.log(`wrote ${schemaFile(root)}`);
}
