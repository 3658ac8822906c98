"""Where things are: this folder, the project, the results folder, the venv's Python.

Every other bench module starts from these; nothing here has side effects.
"""

import sys
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BENCH_DIR.parent
RESULTS_DIR = BENCH_DIR / "results"
VENV_PYTHON = PROJECT_DIR / ".venv" / "bin" / "python"
PYTHON = str(VENV_PYTHON) if VENV_PYTHON.exists() else sys.executable
"""The interpreter the product's children run with (the project's venv if there is one)."""
