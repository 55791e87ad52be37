"""Sphinx extension: regenerate the comparison and runs pages at every build, and the ``{measured}``
role, which computes a number stated in prose from the committed results (``ser.measured``)."""

import functools
from pathlib import Path

from docutils import nodes


def _generate(app) -> None:
    from ser.report import write_pages

    _records.cache_clear()  # a long-lived builder (sphinx-autobuild) reads the records afresh, as the pages do
    write_pages(Path(app.srcdir))


@functools.lru_cache(maxsize=1)
def _records() -> list:
    from ser.results import read_results

    return read_results()


def measured_role(name, rawtext, text, lineno, inliner, options=None, content=None):
    """``{measured}`query```: the number, with the results files it comes from as its tooltip."""
    from ser.measured import MeasuredError, answer, chapter_paper

    docname = inliner.document.settings.env.docname
    try:
        value, files = answer(text, _records(), chapter_paper(docname))
    except MeasuredError as err:
        msg = inliner.reporter.error(str(err), line=lineno)
        return [inliner.problematic(rawtext, rawtext, msg)], [msg]
    shown = files if len(files) <= 6 else [*files[:5], f"and {len(files) - 5} more"]
    node = nodes.abbreviation(value, value, explanation="measured: " + ", ".join(shown))
    node["classes"].append("measured")
    return [node], []


def setup(app):
    app.connect("builder-inited", _generate)
    app.add_role("measured", measured_role)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
