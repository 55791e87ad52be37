"""Sphinx extension: regenerate the comparison and runs pages at every build."""

from pathlib import Path


def _generate(app) -> None:
    from ser.report import write_pages

    write_pages(Path(app.srcdir))


def setup(app):
    app.connect("builder-inited", _generate)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
