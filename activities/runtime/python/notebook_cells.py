"""A notebook's cells as Databricks writes them: source format (`# Databricks notebook source`,
`# COMMAND ----------` between cells, `# MAGIC ` before each line of a magic cell; `--` in SQL
notebooks) or Jupyter's .ipynb (markdown cells are `%md` cells)."""
import json
import os

COMMENTS = {"PYTHON": "#", "SQL": "--", "SCALA": "//", "R": "#"}
EXTENSIONS = {".py": "PYTHON", ".sql": "SQL", ".scala": "SCALA", ".r": "R"}


def header(language):
    return f"{COMMENTS[language]} Databricks notebook source"


def source_language(path, first_line):
    """The language of a source-format notebook, or None when the file is not one."""
    language = EXTENSIONS.get(os.path.splitext(path)[1].lower())
    if language and first_line.strip() == header(language):
        return language
    return None


def notebook_of(path):
    """(language, cells) of the notebook at `path`, or None for a plain file (a Python script)."""
    if path.lower().endswith(".ipynb"):
        with open(path) as f:
            nb = json.load(f)
        return ipynb_language(nb), ipynb_cells(nb)
    with open(path) as f:
        text = f.read()
    language = source_language(path, text.split("\n", 1)[0])
    if language is None:
        return None
    return language, source_cells(text, language)


def source_cells(text, language):
    comment = COMMENTS[language]
    command = f"{comment} COMMAND ----------"
    magic = f"{comment} MAGIC"
    lines = text.replace("\r\n", "\n").split("\n")[1:]
    cells = [[]]
    for line in lines:
        if line.strip() == command:
            cells.append([])
        elif line.startswith(magic + " "):
            cells[-1].append(line[len(magic) + 1 :])
        elif line == magic:
            cells[-1].append("")
        else:
            cells[-1].append(line)
    return [c for c in ("\n".join(cell).strip("\n") for cell in cells) if c.strip()]


def ipynb_language(nb):
    meta = nb.get("metadata", {})
    for value in (
        meta.get("application/vnd.databricks.v1+notebook", {}).get("language"),
        meta.get("kernelspec", {}).get("language"),
        meta.get("language_info", {}).get("name"),
    ):
        if isinstance(value, str) and value.upper() in COMMENTS:
            return value.upper()
    return "PYTHON"


def ipynb_cells(nb):
    out = []
    for cell in nb.get("cells", []):
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else source
        if cell.get("cell_type") == "markdown":
            out.append("%md\n" + source)
        elif cell.get("cell_type") == "code" and source.strip():
            out.append(source)
    return out


def split_magic(cell):
    """(magic, first line's arguments, body): `%sql` cells give ("%sql", "", the SQL); cells
    without a magic give (None, "", the cell)."""
    stripped = cell.lstrip("\n")
    if not stripped.startswith("%"):
        return None, "", cell
    first, _, body = stripped.partition("\n")
    magic, _, args = first.partition(" ")
    return magic, args.strip(), body
