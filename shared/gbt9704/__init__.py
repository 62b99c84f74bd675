"""GB/T 9704-2012 (党政机关公文格式): the national layout of official documents, as a library.

The documents service renders issued documents with it, the disclosure service its letters to
applicants (replies and notices): one layout, one set of faces, shared as code in `shared/` rather
than one service importing another's.

- `render.py`: `Layout` (what the page shows) → PDF bytes (`render_pdf`); refuses without the faces
  (RuleViolation `GBT9704.fonts`).
- `typefaces.py`: the standard's faces as free fonts (Debian's Fandol), converted once by
  `python -m shared.gbt9704.typefaces` (`--check` says what is missing).
- `fonts/`: the fallback fonts shipped in the repository (fonts/NOTICE.md).

`Layout`, `render_pdf` … are read from render.py on first use: fpdf2 loads only when something is
rendered, and `python -m shared.gbt9704.typefaces` runs without the renderer.
"""

__all__ = ["FONTS_RULE", "Layout", "chinese_date", "render_pdf"]


def __getattr__(name: str):
    if name in __all__:
        from shared.gbt9704 import render

        return getattr(render, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
