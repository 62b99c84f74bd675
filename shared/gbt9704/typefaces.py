"""The typefaces of GB/T 9704-2012 (党政机关公文格式) as freely licensed fonts, and where they are.

The standard sets the issuer's mark and the title in 小标宋, the text in 仿宋, first-level headings in
黑体, second-level headings and the signer's name in 楷体, page numbers in 宋体. The commercial faces
it has in mind (方正小标宋, 仿宋_GB2312, …) are not free. The Fandol fonts (GPL with the font
exception, by the Fandol team for Chinese TeX) are the one free set with all four styles, a true
仿宋 among them, covering GB 2312 with their own digits and Latin letters. Debian ships them in the
package texlive-lang-chinese (no other registry we reach serves a free 仿宋).

fpdf2 embeds their CID-keyed CFF outlines correctly, but pypdf (our tests, and the disclosure
service's checks) then reads the text with wrong widths: so the OTF files are converted once to
TrueType outlines (quadratic curves within 1/1000 em of the cubic ones), by this module:

    python -m shared.gbt9704.typefaces                # convert into the default folder
    python -m shared.gbt9704.typefaces --check        # say what is missing, exit 1 if anything

The converted fonts go to $ZGOV_FONT_DIR if set, else /usr/local/share/fonts/zgov-gbt9704 when that
is writable (root: CI, the image), else ~/.local/share/fonts/zgov-gbt9704. The renderer looks in the
same places and refuses to render without them (never a look-alike in the wrong face).

No imports from the platform: the image's build stage runs this file on its own.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

PACKAGE = "texlive-lang-chinese"
SOURCE_DIR = Path("/usr/share/texlive/texmf-dist/fonts/opentype/public/fandol")
LICENCE_DIR = Path("/usr/share/doc/texlive-doc/fonts/fandol")  # COPYING.gz (GPL 3) and README
SYSTEM_DIR = Path("/usr/local/share/fonts/zgov-gbt9704")
USER_DIR = Path.home() / ".local/share/fonts/zgov-gbt9704"
INSTALL = (
    f"sudo apt-get install --no-install-recommends {PACKAGE} && .venv/bin/python -m shared.gbt9704.typefaces"
)


@dataclass(frozen=True)
class Face:
    role: str  # the standard's name
    source: str  # the OTF in the Debian package
    pdf_name: str  # the font's full name without spaces: its /BaseFont in the PDF (tests look for it)

    @property
    def file(self) -> str:
        return Path(self.source).with_suffix(".ttf").name


XIAOBIAOSONG = Face("小标宋", "FandolSong-Bold.otf", "FandolSongBold")  # bold Song for 小标宋
FANGSONG = Face("仿宋", "FandolFang-Regular.otf", "FandolFangR")
HEITI = Face("黑体", "FandolHei-Regular.otf", "FandolHei")
KAITI = Face("楷体", "FandolKai-Regular.otf", "FandolKai")
SONGTI = Face("宋体", "FandolSong-Regular.otf", "FandolSong")  # page numbers
FACES = (XIAOBIAOSONG, FANGSONG, HEITI, KAITI, SONGTI)


class FontsMissing(RuntimeError):
    """The standard's faces are not installed: says which, from which package, and the command."""

    def __init__(self, missing: list[Face], looked_in: list[Path]):
        self.missing = missing
        names = ", ".join(f"{f.role} ({f.file})" for f in missing)
        where = ", ".join(str(d) for d in looked_in)
        super().__init__(
            f"GB/T 9704 fonts missing: {names} (looked in {where}); they come from the Debian package "
            f"{PACKAGE}, converted by shared.gbt9704.typefaces: run `{INSTALL}`"
        )


def search_dirs() -> list[Path]:
    explicit = os.environ.get("ZGOV_FONT_DIR")
    return [Path(explicit)] if explicit else [SYSTEM_DIR, USER_DIR]


def find_faces() -> dict[Face, Path]:
    """Every face's file, from the first folder that has it; FontsMissing names what is not there."""
    found: dict[Face, Path] = {}
    for face in FACES:
        for folder in search_dirs():
            if (folder / face.file).is_file():
                found[face] = folder / face.file
                break
    missing = [f for f in FACES if f not in found]
    if missing:
        raise FontsMissing(missing, search_dirs())
    return found


def default_target() -> Path:
    explicit = os.environ.get("ZGOV_FONT_DIR")
    if explicit:
        return Path(explicit)
    try:
        SYSTEM_DIR.mkdir(parents=True, exist_ok=True)
        if os.access(SYSTEM_DIR, os.W_OK):
            return SYSTEM_DIR
    except OSError:
        pass
    return USER_DIR


def otf_to_ttf(source: Path, target: Path) -> None:
    """Cubic CFF outlines to quadratic TrueType ones, everything else (cmap, metrics, names) kept."""
    from fontTools.pens.cu2quPen import Cu2QuPen
    from fontTools.pens.ttGlyphPen import TTGlyphPen
    from fontTools.ttLib import TTFont, newTable

    font = TTFont(source)
    order = font.getGlyphOrder()
    outlines = font.getGlyphSet()
    glyf = newTable("glyf")
    glyf.glyphOrder = order
    glyf.glyphs = {}
    for name in order:
        pen = TTGlyphPen(outlines)
        # TrueType contours run the other way round from PostScript ones
        outlines[name].draw(Cu2QuPen(pen, max_err=1.0, reverse_direction=True))
        glyf[name] = pen.glyph()
    font["loca"] = newTable("loca")
    font["glyf"] = glyf
    for table in ("CFF ", "VORG"):  # VORG belongs to CFF fonts only
        if table in font:
            del font[table]
    maxp = newTable("maxp")
    maxp.tableVersion = 0x00010000
    for field in (
        "maxZones",
        "maxTwilightPoints",
        "maxStorage",
        "maxFunctionDefs",
        "maxInstructionDefs",
        "maxStackElements",
        "maxSizeOfInstructions",
        "maxComponentElements",
    ):
        setattr(maxp, field, 0)
    maxp.maxZones = 1
    font["maxp"] = maxp
    post = font["post"]
    post.formatType, post.extraNames, post.mapping = 2.0, [], {}
    post.glyphOrder = order
    font.sfntVersion = "\x00\x01\x00\x00"
    partial = target.with_suffix(".part")
    font.save(partial)
    partial.replace(target)  # a reader never sees half a font


def prepare(root: Path = Path("/"), target: Path | None = None, workers: int = 2) -> Path:
    """Convert every face not yet converted (a minute or two a face: once per machine or image). `root`:
    where the Debian package's files are, "/" when installed, the folder it was unpacked into if not."""
    source_dir = root / SOURCE_DIR.relative_to("/")
    licence_dir = root / LICENCE_DIR.relative_to("/")
    target = target or default_target()
    target.mkdir(parents=True, exist_ok=True)
    absent = [f for f in FACES if not (source_dir / f.source).is_file()]
    if absent:
        raise SystemExit(
            f"{', '.join(f.source for f in absent)} not in {source_dir}: install the Debian "
            f"package {PACKAGE} (sudo apt-get install --no-install-recommends {PACKAGE})"
        )
    todo = [f for f in FACES if not (target / f.file).is_file()]
    with ProcessPoolExecutor(max_workers=max(1, min(workers, len(todo) or 1))) as pool:
        for face, _ in zip(
            todo, pool.map(otf_to_ttf, [source_dir / f.source for f in todo], [target / f.file for f in todo])
        ):
            print(f"{face.role}: {target / face.file}")
    for name in ("COPYING.gz", "README"):  # the licence travels with the fonts (GPL)
        if (licence_dir / name).is_file():
            shutil.copyfile(licence_dir / name, target / f"FANDOL-{name}")
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only say whether the fonts are there")
    parser.add_argument(
        "--root",
        type=Path,
        default=Path("/"),
        help=f"where {PACKAGE}'s files are (a folder it was unpacked into)",
    )
    parser.add_argument("--target", type=Path, help="folder for the converted fonts")
    args = parser.parse_args(argv)
    if args.check:
        try:
            for face, path in find_faces().items():
                print(f"{face.role}: {path}")
        except FontsMissing as missing:
            print(missing, file=sys.stderr)
            return 1
        return 0
    prepare(args.root, args.target)
    return 0


if __name__ == "__main__":
    sys.exit(main())
