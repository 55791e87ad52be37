"""The book builds with warnings as errors, and its comparison page renders in Chromium."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")


@pytest.fixture(scope="module")
def built_book(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("book")
    jb = Path(sys.executable).with_name("jupyter-book")
    proc = subprocess.run(
        [str(jb), "build", str(ROOT / "book"), "--path-output", str(out), "-W", "-n", "--keep-going"],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    return out / "_build" / "html"


def test_book_builds_and_has_every_page(built_book):
    for page in (
        "intro.html",
        "comparison.html",
        "runs.html",
        "reproduce.html",
        "chapters/parallel_cnn_lstm.html",
        "replications/parallel_cnn_lstm-random.html",
        "replications/parallel_cnn_lstm-speaker.html",
    ):
        assert (built_book / page).is_file(), page
    html = (built_book / "comparison.html").read_text()
    assert "96.91" in html and "Table 2" in html


def test_every_registered_run_is_in_the_book(built_book):
    """Each executed notebook `ser reproduce` writes is committed, listed in the table of contents
    and rendered; so is every chapter."""
    import yaml

    from ser.cli import book_runs

    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = {s["file"] for part in toc["parts"] for ch in part["chapters"] for s in [ch, *ch.get("sections", [])]}
    for runs in book_runs().values():
        for name, _ in runs:
            page = f"replications/{name}"
            assert (ROOT / "book" / f"{page}.ipynb").is_file(), f"{page}.ipynb is not committed"
            assert page in files, f"{page} is not in _toc.yml"
            assert (built_book / f"{page}.html").is_file(), page
    for chapter in (ROOT / "book" / "chapters").glob("*.md"):
        assert f"chapters/{chapter.stem}" in files and (built_book / f"chapters/{chapter.stem}.html").is_file()


def _chromium(tmp_path, size: str):
    """A headless Chromium driver with window ``size`` ("width,height"), or a test failure saying what is missing."""
    if not (CHROMIUM and CHROMEDRIVER):
        pytest.fail(
            "chromium and chromedriver are required (Debian packages chromium, chromium-driver; .ci/run installs them)"
        )
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--window-size={size}",
        f"--user-data-dir={tmp_path / ('profile-' + size.replace(',', 'x'))}",
    ):
        opts.add_argument(flag)
    return webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)


@pytest.mark.parametrize("size", ["1280,800", "390,844"])
def test_scorecard_verdicts_are_readable_at_laptop_and_phone_width(built_book, tmp_path, size):
    driver = _chromium(tmp_path, size)
    try:
        driver.get((built_book / "intro.html").as_uri())
        geometry = driver.execute_script(
            """
            const table = document.querySelector('article table');
            const heads = Array.from(table.querySelectorAll('thead th')).map(th => th.innerText.trim());
            const verdict = table.querySelectorAll('thead th')[heads.indexOf('verdict')];
            const box = table.parentElement;
            return {heads: heads, right: verdict.getBoundingClientRect().right, width: window.innerWidth,
                    page: document.documentElement.scrollWidth, rows: table.querySelectorAll('tbody tr').length,
                    scrolls: box.scrollWidth > box.clientWidth && getComputedStyle(box).overflowX !== 'visible'};
            """
        )
        shots = ROOT / "tests" / "_artifacts"
        shots.mkdir(exist_ok=True)
        driver.save_screenshot(str(shots / f"scorecard-{size.replace(',', 'x')}.png"))
    finally:
        driver.quit()
    assert "verdict" in geometry["heads"] and geometry["rows"] >= 5, geometry
    assert geometry["page"] <= geometry["width"] + 1, f"the page scrolls sideways at {size}: {geometry}"
    if size.startswith("1280"):
        assert geometry["right"] <= geometry["width"], f"the verdict column is cut off at {size}: {geometry}"
    else:  # a phone: the table may scroll inside its own box, never the page
        assert geometry["right"] <= geometry["width"] or geometry["scrolls"], geometry


def test_comparison_page_in_headless_chromium(built_book, tmp_path):
    driver = _chromium(tmp_path, "1400,2400")
    try:
        driver.get((built_book / "comparison.html").as_uri())
        # rows and cells counted in one call, once the page has loaded and two counts half a second apart
        # agree (counted in two calls on a page still loading, they once read 0 rows beside 1,677 cells)
        count = (
            "if (document.readyState !== 'complete') return [-1, -1];"
            "return [document.querySelectorAll('article table tbody tr').length,"
            " Array.from(document.querySelectorAll('article table tbody td'))"
            ".filter(td => td.innerText.trim().length > 0).length];"
        )
        last = None
        for _ in range(60):
            now = driver.execute_script(count)
            if now == last and now[0] > 0:
                break
            last = now
            time.sleep(0.5)
        rows, cells = last
        images = driver.execute_script(
            "return Array.from(document.querySelectorAll('article img'))"
            ".map(i => [i.getAttribute('src'), i.complete, i.naturalWidth])"
        )
        shot = ROOT / "tests" / "_artifacts"
        shot.mkdir(exist_ok=True)
        driver.save_screenshot(str(shot / "comparison.png"))
    finally:
        driver.quit()
    assert rows >= 10 and cells >= 5 * rows, f"comparison tables look empty: {rows} rows, {cells} filled cells"
    assert images, "the claimed-vs-reproduced figure is missing"
    broken = [src for src, complete, width in images if not (complete and width > 0)]
    assert not broken, f"broken images: {broken}"


def test_the_explorer_lists_every_run_and_filters(built_book, tmp_path):
    driver = _chromium(tmp_path, "1280,800")
    try:
        driver.get((built_book / "explore.html").as_uri())
        info = None
        for _ in range(60):  # the table is built by JavaScript once the page has loaded
            info = driver.execute_script(
                "const t = window.jQuery ? null : null;"
                "const info = document.querySelector('#runs-explorer_info, .dt-info');"
                "return info ? info.innerText : null;"
            )
            if info:
                break
            time.sleep(0.5)
        assert info, "the interactive table did not initialise"
        total = driver.execute_script("return document.querySelector('.dt-info').innerText")
        box = driver.find_element("css selector", ".dt-search input")
        box.send_keys("emodb")
        filtered = total
        for _ in range(40):  # wait for the table to redraw
            filtered = driver.execute_script("return document.querySelector('.dt-info').innerText")
            if filtered != total:
                break
            time.sleep(0.25)
        panes = driver.execute_script("return document.querySelectorAll('.dtsp-searchPane').length")
        shots = ROOT / "tests" / "_artifacts"
        shots.mkdir(exist_ok=True)
        driver.save_screenshot(str(shots / "explore-1280x800.png"))
    finally:
        driver.quit()
    from ser.baselines import read_baselines
    from ser.results import read_results

    n = len(read_results()) + len(read_baselines())
    assert f"of {n:,} entries" in total.replace("\u202f", ",") or f"of {n} entries" in total, (total, n)
    assert "filtered" in filtered and filtered != total, (total, filtered)
    assert panes >= 5, f"expected the filter panes, found {panes}"


def test_every_local_link_resolves_and_numbers_link_their_files(built_book):
    """Evidence one click away: every local link of every page points at a file of the built site,
    each chapter links the results files behind its numbers (byte for byte the committed ones),
    their split files, and the paper's public page."""
    import re
    from urllib.parse import unquote, urlsplit

    from ser.claims import load_registry

    broken = []
    for page in built_book.rglob("*.html"):
        if "_static" in page.parts:
            continue
        for href in re.findall(r'href="([^"]+)"', page.read_text()):
            url = urlsplit(href)
            if url.scheme or url.netloc or not url.path:
                continue
            if not (page.parent / unquote(url.path)).resolve().exists():
                broken.append(f"{page.relative_to(built_book)} -> {href}")
    assert not broken, broken[:10]
    for paper, reg in load_registry().items():
        html = (built_book / "chapters" / f"{paper}.html").read_text()
        links = reg["links"]
        assert any(v in html for v in (links.get("doi"), links.get("page"), links.get("code")) if v), paper
        served = re.findall(r'href="(\.\./_downloads/[0-9a-f]+/([^"/]+\.json))"', html)
        assert served, f"{paper}: no results file linked"
        for href, name in served:
            copies = list(ROOT.glob(f"papers/results/**/{name}"))
            assert any(c.read_bytes() == (built_book / "chapters" / href).read_bytes() for c in copies), name
        assert re.search(r'href="\.\./_downloads/[0-9a-f]+/[^"/]+\.csv"', html), f"{paper}: no split file linked"


def test_page_titles_are_unique_and_no_markdown_table_is_left_raw(built_book):
    """Every page has its own title, and no page shows a Markdown table as raw `|---|` text."""
    import re
    from collections import Counter

    titles, raw = {}, []
    for page in built_book.rglob("*.html"):
        if "_static" in page.parts or page.name in ("search.html", "genindex.html"):
            continue
        html = page.read_text()
        m = re.search(r"<title>(.*?)</title>", html, re.S)
        titles[page.relative_to(built_book).as_posix()] = m.group(1).strip() if m else ""
        body = re.sub(r"<(pre|code|script|style)[^>]*>.*?</\1>", "", html, flags=re.S)
        if re.search(r"\|\s*-{3,}\s*\|", body):
            raw.append(page.relative_to(built_book).as_posix())
    dup = {t: [p for p, tt in titles.items() if tt == t] for t, n in Counter(titles.values()).items() if n > 1}
    assert not dup, dup
    assert not raw, raw


def test_numbers_in_prose_are_rendered_with_their_results_files(built_book):
    """The {measured} role: the chapter shows the computed value, its tooltip names the records."""
    import re

    html = (built_book / "chapters" / "wavelet_cnn_lstm.html").read_text()
    hits = re.findall(r'<abbr class="measured" title="measured: ([^"]+)">([^<]+)</abbr>', html)
    assert len(hits) >= 20 and all(".json" in files for files, _ in hits)
    # a number from one run names that run's file
    assert any(files.count(".json") == 1 and re.fullmatch(r"\d+\.\d", v) for files, v in hits)
    assert any("emodb-si3-as_published-main-paper-fold0.json" in files for files, _ in hits)
