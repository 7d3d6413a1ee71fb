// Notebooks as Databricks stores them in Git folders and exports them: a source file whose first
// line is the language's `Databricks notebook source` header (`.py`, `.sql`, `.scala`, `.r`) or a
// Jupyter `.ipynb`. A workspace notebook `/Users/alice/etl` is the file `etl.py` (or `etl.ipynb`…)
// on disk; any other file is a workspace FILE under its own name. Pure: languages, headers, and the
// source ↔ Jupyter conversion of the Workspace API's export and import.

export const NotebookLanguage = { PYTHON: 'PYTHON', SQL: 'SQL', SCALA: 'SCALA', R: 'R' } as const;
export type NotebookLanguage = (typeof NotebookLanguage)[keyof typeof NotebookLanguage];

interface LanguageFacts {
  extension: string;
  /** The line comment cells and magics are written with. */
  comment: string;
}

export const LANGUAGES: Record<NotebookLanguage, LanguageFacts> = {
  PYTHON: { extension: '.py', comment: '#' },
  SQL: { extension: '.sql', comment: '--' },
  SCALA: { extension: '.scala', comment: '//' },
  R: { extension: '.r', comment: '#' },
};

export const isNotebookLanguage = (v: unknown): v is NotebookLanguage =>
  typeof v === 'string' && Object.hasOwn(LANGUAGES, v);

export const sourceHeader = (language: NotebookLanguage): string =>
  `${LANGUAGES[language].comment} Databricks notebook source`;
const commandLine = (language: NotebookLanguage): string => `${LANGUAGES[language].comment} COMMAND ----------`;
const magicPrefix = (language: NotebookLanguage): string => `${LANGUAGES[language].comment} MAGIC`;

/** The extensions a notebook file may have on disk, in the order a path without one is tried. */
export const NOTEBOOK_FILE_EXTENSIONS = ['.py', '.sql', '.ipynb', '.scala', '.r'] as const;

/** The language of a source notebook from its file name and first line, or undefined if not one. */
export function sourceNotebookLanguage(fileName: string, firstLine: string): NotebookLanguage | undefined {
  const lower = fileName.toLowerCase();
  for (const language of Object.keys(LANGUAGES) as NotebookLanguage[]) {
    if (lower.endsWith(LANGUAGES[language].extension) && firstLine.trim() === sourceHeader(language)) return language;
  }
  return undefined;
}

/** The language of a Jupyter notebook, from Databricks' metadata or the kernel's; Python by default. */
export function jupyterLanguage(notebook: unknown): NotebookLanguage {
  const meta = (notebook as { metadata?: Record<string, unknown> } | null)?.metadata ?? {};
  const databricks = meta['application/vnd.databricks.v1+notebook'] as { language?: unknown } | undefined;
  const kernel = (meta.kernelspec as { language?: unknown } | undefined)?.language;
  const info = (meta.language_info as { name?: unknown } | undefined)?.name;
  for (const v of [databricks?.language, kernel, info]) {
    const upper = typeof v === 'string' ? v.toUpperCase() : '';
    if (isNotebookLanguage(upper)) return upper;
  }
  return NotebookLanguage.PYTHON;
}

/** One cell: its text as the user wrote it (a magic cell starts with `%sql`, `%md`…). */
export interface NotebookCell {
  source: string;
}

/** The cells of a source notebook, its MAGIC prefixes taken off. */
export function sourceCells(text: string, language: NotebookLanguage): NotebookCell[] {
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  if (lines[0]?.trim() === sourceHeader(language)) lines.shift();
  const command = commandLine(language);
  const magic = magicPrefix(language);
  const cells: string[][] = [[]];
  for (const line of lines) {
    if (line.trim() === command) cells.push([]);
    else
      cells[cells.length - 1]!.push(
        line.startsWith(`${magic} `) ? line.slice(magic.length + 1) : line === magic ? '' : line
      );
  }
  return cells
    .map((c) => c.join('\n').replace(/^\n+|\n+$/g, ''))
    .filter((c) => c !== '')
    .map((source) => ({ source }));
}

/** A source notebook of these cells (magic cells written with MAGIC prefixes, as Databricks exports them). */
export function toSource(cells: readonly NotebookCell[], language: NotebookLanguage): string {
  const magic = magicPrefix(language);
  const body = cells.map(({ source }) =>
    source.startsWith('%')
      ? source
          .split('\n')
          .map((l) => (l === '' ? magic : `${magic} ${l}`))
          .join('\n')
      : source
  );
  return `${sourceHeader(language)}\n${body.join(`\n\n${commandLine(language)}\n\n`)}\n`;
}

/** The code and markdown cells of a Jupyter notebook (markdown as `%md` cells). */
export function jupyterCells(notebook: unknown): NotebookCell[] {
  const cells = (notebook as { cells?: unknown } | null)?.cells;
  if (!Array.isArray(cells)) return [];
  return cells.flatMap((c: unknown) => {
    const cell = c as { cell_type?: unknown; source?: unknown };
    const text = Array.isArray(cell.source) ? cell.source.join('') : typeof cell.source === 'string' ? cell.source : '';
    if (cell.cell_type === 'markdown') return [{ source: `%md\n${text}` }];
    if (cell.cell_type === 'code') return [{ source: text }];
    return [];
  });
}

/** A Jupyter notebook (nbformat 4) of these cells, with Databricks' language metadata. */
export function toJupyter(cells: readonly NotebookCell[], language: NotebookLanguage, name: string): string {
  const lines = (s: string) => s.split(/(?<=\n)/);
  const notebook = {
    cells: cells.map(({ source }) =>
      source.startsWith('%md')
        ? { cell_type: 'markdown', metadata: {}, source: lines(source.replace(/^%md\s?\n?/, '')) }
        : { cell_type: 'code', execution_count: null, metadata: {}, outputs: [], source: lines(source) }
    ),
    metadata: {
      'application/vnd.databricks.v1+notebook': { language: language.toLowerCase(), notebookName: name },
      language_info: { name: language.toLowerCase() },
    },
    nbformat: 4,
    nbformat_minor: 0,
  };
  return `${JSON.stringify(notebook, null, 1)}\n`;
}
