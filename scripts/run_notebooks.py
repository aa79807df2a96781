"""Executes every notebook in notebooks/ headlessly with nbclient (no outputs are written
back: git keeps them stripped). Exit code 1 with the failing cell when one fails.

Environment: LEADCAST_ROOT (the project), LEADCAST_BIN (the binary), LEADCAST_URL and
LEADCAST_KEY (a running `leadcast serve` and a planner key) — set by the integration test."""
import pathlib
import sys
import time

import nbformat
from nbclient import NotebookClient

root = pathlib.Path(__file__).resolve().parent.parent
failed = 0
for path in sorted((root / "notebooks").glob("*.ipynb")):
    book = nbformat.read(path, as_version=4)
    start = time.time()
    try:
        NotebookClient(book, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(root / "notebooks")}}).execute()
        print(f"ok   {path.name} ({time.time() - start:.1f} s)")
    except Exception as e:  # nbclient raises CellExecutionError with the cell and traceback
        failed += 1
        print(f"FAIL {path.name}: {e}", file=sys.stderr)
sys.exit(1 if failed else 0)
