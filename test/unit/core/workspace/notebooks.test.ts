import { describe, expect, it } from 'vitest';
import {
  jupyterCells,
  jupyterLanguage,
  sourceCells,
  sourceNotebookLanguage,
  toJupyter,
  toSource,
} from '../../../../core';

const exported = [
  '# Databricks notebook source',
  'x = 1',
  '',
  '# COMMAND ----------',
  '',
  '# MAGIC %sql',
  '# MAGIC SELECT 1',
  '# MAGIC',
  '# MAGIC SELECT 2',
  '',
].join('\n');

describe('notebook formats', () => {
  it('finds a source notebook by its extension and header line', () => {
    expect(sourceNotebookLanguage('etl.py', '# Databricks notebook source')).toBe('PYTHON');
    expect(sourceNotebookLanguage('q.sql', '-- Databricks notebook source')).toBe('SQL');
    expect(sourceNotebookLanguage('m.scala', '// Databricks notebook source')).toBe('SCALA');
    expect(sourceNotebookLanguage('etl.py', 'import os')).toBeUndefined();
    expect(sourceNotebookLanguage('etl.sql', '# Databricks notebook source')).toBeUndefined();
  });

  it('reads cells with their MAGIC prefixes taken off, and writes them back the same', () => {
    const cells = sourceCells(exported, 'PYTHON');
    expect(cells).toEqual([{ source: 'x = 1' }, { source: '%sql\nSELECT 1\n\nSELECT 2' }]);
    expect(toSource(cells, 'PYTHON')).toBe(exported);
  });

  it('converts to Jupyter and back, markdown as %md cells', () => {
    const cells = [{ source: '%md\n# Title' }, { source: 'print(1)\nprint(2)' }];
    const nb = JSON.parse(toJupyter(cells, 'PYTHON', 'etl')) as unknown;
    expect(jupyterLanguage(nb)).toBe('PYTHON');
    expect(jupyterCells(nb)).toEqual(cells);
    expect(jupyterLanguage({ metadata: { kernelspec: { language: 'sql' } } })).toBe('SQL');
  });
});
