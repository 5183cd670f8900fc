#!/usr/bin/env python3
"""Validate Jupyter notebooks against the nbformat JSON schema.

Usage: check-ipynb.py NOTEBOOK.ipynb [...]

Each file is read as nbformat 4 without conversion and checked with
``nbformat.validate`` (the schema for the file's own nbformat_minor, 4.5 for
Loupe's notebooks, including cell ids). Prints one line per file and exits 1
if any file is invalid, 2 on a usage error or a missing nbformat module.

Needs the ``nbformat`` package (Debian: ``apt-get install python3-nbformat``,
then run with ``/usr/bin/python3`` if another python3 comes first on PATH).
"""

import copy
import json
import sys
import warnings

try:
    import nbformat
except ImportError:
    print("check-ipynb: the nbformat module is missing "
          "(apt-get install python3-nbformat, or pip install nbformat)", file=sys.stderr)
    sys.exit(2)


def check(path):
    """Return (True, summary) when the notebook at path is valid, else (False, problem)."""
    try:
        with open(path, encoding="utf-8") as handle:
            raw = json.load(handle)
    except (OSError, ValueError) as error:
        return False, f"cannot read JSON: {error}"
    if not isinstance(raw, dict) or raw.get("nbformat") != 4:
        return False, "expected a notebook object with nbformat 4"
    minor = raw.get("nbformat_minor")
    # Older nbformat versions do not check ids, and newer ones silently repair missing or
    # duplicate ids unless told not to: check them here first.
    ids = [cell.get("id") if isinstance(cell, dict) else None for cell in raw.get("cells", [])]
    if minor is not None and minor >= 5 and None in ids:
        return False, f"cell {ids.index(None)} has no id"
    duplicates = sorted({str(cell_id) for cell_id in ids if cell_id is not None and ids.count(cell_id) > 1})
    if duplicates:
        return False, f"duplicate cell ids: {', '.join(duplicates)}"
    notebook = nbformat.from_dict(copy.deepcopy(raw))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            try:
                nbformat.validate(notebook, version=4, version_minor=minor, repair_duplicate_cell_ids=False)
            except TypeError:  # nbformat before 5.1 has no such argument (and does not repair)
                nbformat.validate(notebook, version=4, version_minor=minor)
    except nbformat.ValidationError as error:
        return False, f"invalid: {error.message}"
    return True, f"valid nbformat 4.{minor}, {len(ids)} cells"


def main(argv):
    if len(argv) < 2:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    failed = False
    for path in argv[1:]:
        valid, message = check(path)
        if valid:
            print(f"{path}: {message}")
        else:
            failed = True
            print(f"{path}: {message}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
