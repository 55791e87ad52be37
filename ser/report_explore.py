"""The book's explorer page: every run (models and baselines) in one interactive table (itables,
offline), with filter panes by paper, corpus, protocol, arm and profile, and CSV downloads."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ser.claims import arm_of, at_paper_budget, diverged, load_registry

# The columns with a filter pane, in order.
PANES = ["paper", "corpus", "protocol", "arm", "profile", "model"]


def _pct(metrics: dict, key: str) -> float | None:
    v = metrics.get(key)
    return None if v is None else round(100 * float(v), 2)


def run_table(records: list[dict], baselines: list[dict], repo_root: Path) -> pd.DataFrame:
    """One row per model record and per baseline record."""
    registries = load_registry()
    rows = []
    for r in records:
        params = r.get("params", {})
        reg = registries.get(r["paper"], {"profiles": {}})
        rows.append(
            {
                "paper": r["paper"],
                "corpus": r["corpus"] + (" (substitution)" if r.get("substitution") else ""),
                "protocol": r["protocol"],
                "arm": arm_of(r),
                "profile": r["profile"],
                "model": str(params.get("model") or params.get("run") or r["paper"]),
                "seeds": ",".join(map(str, r["seeds"])) + (f" fold {r['fold']}" if r.get("fold") is not None else ""),
                "WA %": _pct(r["metrics"], "accuracy"),
                "UA %": _pct(r["metrics"], "macro_recall"),
                "macro F1 %": _pct(r["metrics"], "macro_f1"),
                "paper budget": "yes" if at_paper_budget(r, reg) else "no",
                "diverged": "yes" if diverged(r) else "no",
                "commit": r["git_commit"][:10] + (" (dirty)" if r["git_commit"].endswith("-dirty") else ""),
                "file": _rel(r.get("_file", ""), repo_root),
            }
        )
    for b in baselines:
        best = b["best"]
        rows.append(
            {
                "paper": b["paper"],
                "corpus": b["corpus"],
                "protocol": b["protocol"],
                "arm": "baseline",
                "profile": "baseline",
                "model": f"{best['features']} + {best['classifier']}",
                "seeds": ",".join(map(str, b["seeds"])) + (f" fold {b['fold']}" if b.get("fold") is not None else ""),
                "WA %": round(100 * best["accuracy"], 2),
                "UA %": round(100 * best["ua"], 2),
                "macro F1 %": round(100 * best["macro_f1"], 2),
                "paper budget": "–",
                "diverged": "no",
                "commit": b["git_commit"][:10] + (" (dirty)" if b["git_commit"].endswith("-dirty") else ""),
                "file": _rel(b.get("_file", ""), repo_root),
            }
        )
    return pd.DataFrame(rows)


def _rel(path: str, root: Path) -> str:
    p = Path(path)
    return p.relative_to(root).as_posix() if p.is_absolute() and p.is_relative_to(root) else path


def explore_page(records: list[dict], baselines: list[dict], repo_root: Path) -> str:
    """MyST source of the explorer page (the table's JavaScript is embedded: the page works offline)."""
    import itables.options
    from itables import to_html_datatable
    from itables.javascript import generate_init_offline_itables_html

    table = run_table(records, baselines, repo_root)
    head = [
        "# Explore every run",
        "",
        "Every results record of the book, models and reference baselines alike, read when the book was "
        "built. Filter with the panes (paper, corpus, protocol, arm, profile, model), search, sort by any "
        "column. *WA*: accuracy; *UA*: unweighted average recall; both in %. Downloads: "
        "{download}`runs.csv <_static/runs.csv>` (every model run) and {download}`claims.csv <_static/claims.csv>` "
        "(every claim with its status).",
        "",
    ]
    if table.empty:
        return "\n".join(head + ["No results yet.", ""])
    panes = [table.columns.get_loc(c) for c in PANES]
    html = to_html_datatable(
        table,
        connected=False,
        display_logo_when_loading=False,
        showIndex=False,
        table_id="runs-explorer",
        layout={"top1": "searchPanes"},
        searchPanes={"columns": panes, "cascadePanes": True, "initCollapsed": False},
        columnDefs=[{"searchPanes": {"show": True}, "targets": panes}],
        pageLength=25,
        scrollX=True,
        maxBytes=0,
    )
    init = generate_init_offline_itables_html(itables.options.dt_bundle)
    return "\n".join(head + ["```{raw} html", init, html, "```", ""])
