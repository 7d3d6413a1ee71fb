import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { schemaFile, schemaText } from '../../../../scripts/export-json-schema';

describe('docs/job-settings.schema.json', () => {
  it('is the current JSON Schema of JobSettings (regenerate with npm run json-schema)', () => {
    const root = path.resolve(__dirname, '..', '..', '..', '..');
    expect(fs.readFileSync(schemaFile(root), 'utf8')).toBe(schemaText());
  });
  it('describes tasks and their run_if values', () => {
    const schema = JSON.parse(schemaText()) as { properties: Record<string, unknown>; required: string[] };
    expect(schema.required).toContain('tasks');
    expect(JSON.stringify(schema.properties.tasks)).toContain('AT_LEAST_ONE_FAILED');
  });
});
