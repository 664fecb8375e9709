"""Sphinx configuration of the sktune documentation.

Build with ``python -m sphinx -W --keep-going -b html docs docs/_build/html``;
add ``-D plot_gallery=0`` to build the example gallery without running the
examples (CI runs them separately, in tests/test_examples.py).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, os.fspath(HERE.parent))

import sktune  # noqa: E402

os.environ.setdefault("MPLBACKEND", "Agg")

project = "sktune"
author = "sktune developers"
copyright = "2026, sktune developers"
version = release = sktune.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "numpydoc",
    "myst_parser",
    "sphinx_gallery.gen_gallery",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "_generated", "_readme_draft.md", "**.ipynb_checkpoints"]
templates_path = ["_templates"]
default_role = "py:obj"
nitpicky = False

# -- API reference ---------------------------------------------------------------
autosummary_generate = True
autosummary_imported_members = True
autodoc_default_options = {"members": True, "inherited-members": False}
autodoc_typehints = "none"  # the numpydoc docstrings give the types
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_validation_checks: set[str] = set()

intersphinx_mapping = {
    "python": ("https://docs.python.org/3", None),
    "numpy": ("https://numpy.org/doc/stable", None),
    "scipy": ("https://docs.scipy.org/doc/scipy", None),
    "sklearn": ("https://scikit-learn.org/stable", None),
    "joblib": ("https://joblib.readthedocs.io/en/stable", None),
    "matplotlib": ("https://matplotlib.org/stable", None),
}
# The build must not depend on the network: intersphinx inventories are fetched
# only when SKTUNE_DOCS_INTERSPHINX=1.
if os.environ.get("SKTUNE_DOCS_INTERSPHINX") != "1":
    intersphinx_mapping = {}

# -- Markdown pages (docs/benchmarks.md) ------------------------------------------
myst_enable_extensions = ["colon_fence"]
myst_heading_anchors = 3
# docs/benchmarks.md is written section by section by the benchmark owners;
# a skipped heading level there is a style matter, not a broken build.
suppress_warnings = ["myst.header"]

# -- Example gallery ---------------------------------------------------------------
sphinx_gallery_conf = {
    "examples_dirs": os.fspath(HERE.parent / "examples"),
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "within_subsection_order": "FileNameSortKey",
    "download_all_examples": False,
    "remove_config_comments": True,
    "matplotlib_animations": False,
    "show_memory": False,
    "capture_repr": ("_repr_html_", "__repr__"),
    "image_scrapers": ("matplotlib",),
    "reset_modules": ("matplotlib",),
    "abort_on_example_error": True,
}

# -- HTML ------------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"sktune {version}"
html_static_path: list[str] = []
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "header_links_before_dropdown": 6,
    "secondary_sidebar_items": ["page-toc"],
}
html_context = {"default_mode": "light"}
html_show_sourcelink = False


# -- The list of benchmark scripts (docs/running_benchmarks.rst) -------------------
def _write_benchmark_list() -> None:
    """List benchmarks/bench_*.py with the first line of their docstrings."""
    import ast

    lines = []
    for path in sorted((HERE.parent / "benchmarks").glob("bench_*.py")):
        doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
        summary = doc.strip().splitlines()[0] if doc.strip() else ""
        lines.append(f"- ``benchmarks/{path.name}``: {summary}")
    out = HERE / "_generated"
    out.mkdir(exist_ok=True)
    (out / "benchmark_scripts.inc").write_text(
        "\n".join(lines or ["- (no benchmark script yet)"]) + "\n", encoding="utf-8"
    )


_write_benchmark_list()
