"""Leaderboard exports for the challenge report: CSV, Markdown and LaTeX (Tables 1 and 2).

A table is ranked on one split; every fact-sheet figure and interval of a row comes from the row's
entry on that split (the submission it is ranked by). The other splits' columns hold the team's
own entries there.
"""

from __future__ import annotations

import csv
import io
import re
from typing import Literal

from leaderboard.schemas import TrackTable, TrackTableRow

FLAGS = (("extra_data", "ED"), ("ensemble", "ENS"), ("full_resolution", "FR"))


def _one_line(text: str) -> str:
    """Free text on one line: newlines, tabs and runs of spaces become one space."""
    return " ".join(str(text).split())


_MD_HTML = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
_MD_MARK = "\\`*_[]()!|~"  # backslash-escaped: links, images, code, emphasis, strike-through, columns
_MD_SPECIAL = re.compile("[" + re.escape("".join(_MD_HTML) + _MD_MARK) + "]")


def _md(text: str) -> str:
    """A Markdown table cell: one line; HTML (``<``, ``>``, ``&``) as entities and every character
    that makes a link, an image, code or emphasis (or a column: ``|``) backslash-escaped, in one
    pass, so a cell renders as the text typed and can forge no tag, link, column or row."""
    return _MD_SPECIAL.sub(lambda m: _MD_HTML.get(m.group()) or "\\" + m.group(), _one_line(text))


_TEX = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}


def _tex(text: str) -> str:
    """A LaTeX cell: one line (a blank line would end the tabular), every special escaped in one pass."""
    return re.sub(r"[\\&%$#_{}~^]", lambda m: _TEX[m.group()], _one_line(text))


def _csv(text: str) -> str:
    """A CSV text cell that a spreadsheet shows as text, never evaluates as a formula."""
    text = _one_line(text)
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def _meta(row: TrackTableRow) -> dict:
    """The fact sheet of the submission the row is ranked by (blank when it has none on that split)."""
    entry = row.entry
    if entry is None:
        return {"ED": "", "ENS": "", "FR": "", "params": "", "runtime": "", "device": ""}
    out = {label: ("yes" if getattr(entry, field) else "no") for field, label in FLAGS}
    out["params"] = "" if entry.params_m is None else f"{entry.params_m:g}"
    out["runtime"] = "" if entry.runtime_s is None else f"{entry.runtime_s:g}"
    out["device"] = entry.device or ""
    return out


def _significance(row: TrackTableRow) -> list[str]:
    """95% interval and group on the ranking split, as text."""
    sg = row.entry.significance if row.entry else None
    if sg is None:
        return ["-", "-"]
    f = "{:.2f}" if sg.metric == "psnr" else "{:.4f}"
    return [f"{f.format(sg.ci_low)}-{f.format(sg.ci_high)}", str(sg.group)]


def _cells(row: TrackTableRow, splits: list[str]) -> list[str]:
    cells = []
    for s in splits:
        e = row.scores.get(s)
        cells += [f"{e.psnr:.2f}", f"{e.ssim:.4f}"] if e else ["-", "-"]
    return cells


def ranked_on(table: TrackTable) -> str:
    """The caption's note of the ranking split and metric."""
    return f"ranked on {table.split} by {table.metric.upper()}" if table.split else "no visible split"


def to_csv(table: TrackTable) -> str:
    splits = table.splits
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(
        [
            "rank",
            "team",
            "ranked_on",
            "submission_id",
            *[f"{s}_{m}" for s in splits for m in ("psnr", "ssim")],
            "ci_low",
            "ci_high",
            "group",
            "ED",
            "ENS",
            "FR",
            "params_m",
            "runtime_s",
            "device",
        ]
    )
    for r in table.rows:
        meta = _meta(r)
        full = []
        for s in splits:
            e = r.scores.get(s)
            full += [repr(e.psnr), repr(e.ssim)] if e else ["", ""]
        sg = r.entry.significance if r.entry else None
        w.writerow(
            [
                r.rank or "",
                _csv(r.team),
                table.split or "",
                r.entry.submission_id if r.entry else "",
                *full,
                repr(sg.ci_low) if sg else "",
                repr(sg.ci_high) if sg else "",
                sg.group if sg else "",
                meta["ED"],
                meta["ENS"],
                meta["FR"],
                meta["params"],
                meta["runtime"],
                _csv(meta["device"]),
            ]
        )
    return buf.getvalue()


def to_markdown(title: str, table: TrackTable) -> str:
    splits = table.splits
    head = [
        "Rank",
        "Team",
        *[f"{s} {m}" for s in splits for m in ("PSNR", "SSIM")],
        "95% CI",
        "Group",
        "ED",
        "ENS",
        "FR",
        "Params (M)",
        "Runtime (s)",
        "Device",
    ]
    lines = [
        f"**{_md(title)}** ({ranked_on(table)}; fact sheets and intervals from that split's entries)",
        "",
        "| " + " | ".join(head) + " |",
        "|" + "|".join("---" for _ in head) + "|",
    ]
    for r in table.rows:
        m = _meta(r)
        lines.append(
            "| "
            + " | ".join(
                [
                    str(r.rank or "-"),
                    _md(r.team),
                    *_cells(r, splits),
                    *_significance(r),
                    m["ED"] or "-",
                    m["ENS"] or "-",
                    m["FR"] or "-",
                    m["params"] or "-",
                    m["runtime"] or "-",
                    _md(m["device"] or "-"),
                ]
            )
            + " |"
        )
    return "\n".join(lines) + "\n"


def to_latex(title: str, table: TrackTable) -> str:
    splits = table.splits
    cols = "rl" + "cc" * len(splits) + "cc" + "cccrrc"
    group = " & ".join(rf"\multicolumn{{2}}{{c}}{{{_tex(s)}}}" for s in splits)
    sub = " & ".join("PSNR & SSIM" for _ in splits)
    out = [
        r"\begin{table}[t]",
        r"\centering",
        rf"\caption{{{_tex(title)} ({_tex(ranked_on(table))})}}",
        rf"\begin{{tabular}}{{{cols}}}",
        r"\toprule",
    ]
    out.append(rf" & & {group} & & & & & & & & \\")
    out.append(rf"Rank & Team & {sub} & 95\% CI & Group & ED & ENS & FR & Params (M) & Runtime (s) & Device \\")
    out.append(r"\midrule")
    for r in table.rows:
        m = _meta(r)
        cells = [
            str(r.rank or "-"),
            _tex(r.team),
            *_cells(r, splits),
            *_significance(r),
            m["ED"] or "-",
            m["ENS"] or "-",
            m["FR"] or "-",
            m["params"] or "-",
            m["runtime"] or "-",
            _tex(m["device"] or "-"),
        ]
        out.append(" & ".join(cells) + r" \\")
    out += [r"\bottomrule", r"\end{tabular}", r"\end{table}"]
    return "\n".join(out) + "\n"


TABLE2 = ("Team", "Input", "Epochs", "ED", "ENS", "FR", "Params (M)", "Runtime (s)", "GPU")


def _table2_cells(row: TrackTableRow) -> list[str]:
    entry = row.entry
    m = _meta(row)
    return [
        row.team,
        (entry.input_size if entry else None) or "-",
        str(entry.epochs) if entry and entry.epochs is not None else "-",
        m["ED"] or "-",
        m["ENS"] or "-",
        m["FR"] or "-",
        m["params"] or "-",
        m["runtime"] or "-",
        (entry.gpu if entry else None) or m["device"] or "-",
    ]


def table2(title: str, table: TrackTable, fmt: str) -> str:
    """The report's Table 2 (team, input, epochs, ED/ENS/FR, params, runtime, GPU) beside Table 1's scores.

    The fact-sheet columns come from each row's entry on the ranking split, like Table 1's.
    """
    splits = table.splits
    head = [*TABLE2, *[f"{s} {m}" for s in splits for m in ("PSNR", "SSIM")]]
    body = [[*_table2_cells(r), *_cells(r, splits)] for r in table.rows]
    if fmt == "md":
        lines = [
            f"**{_md(title)}** ({ranked_on(table)})",
            "",
            "| " + " | ".join(head) + " |",
            "|" + "|".join("---" for _ in head) + "|",
        ]
        lines += ["| " + " | ".join(_md(c) for c in cells) + " |" for cells in body]
        return "\n".join(lines) + "\n"
    out = [
        r"\begin{table}[t]",
        r"\centering",
        rf"\caption{{{_tex(title)} ({_tex(ranked_on(table))})}}",
        rf"\begin{{tabular}}{{l{'c' * (len(TABLE2) - 1)}{'cc' * len(splits)}}}",
        r"\toprule",
        " & ".join(_tex(h) for h in head) + r" \\",
        r"\midrule",
    ]
    out += [" & ".join(_tex(c) for c in cells) + r" \\" for cells in body]
    out += [r"\bottomrule", r"\end{tabular}", r"\end{table}"]
    return "\n".join(out) + "\n"


ExportFormat = Literal["csv", "md", "tex", "table2-md", "table2-tex"]
EXPORTS: dict[str, tuple[str, str]] = {  # format -> (file suffix, media type)
    "csv": ("table1.csv", "text/csv"),
    "md": ("table1.md", "text/markdown"),
    "tex": ("table1.tex", "application/x-tex"),
    "table2-md": ("table2.md", "text/markdown"),
    "table2-tex": ("table2.tex", "application/x-tex"),
}


def as_file(challenge: str, track: str, title: str, table: TrackTable, fmt: ExportFormat) -> tuple[str, str, str]:
    """A track's table as a file: (text, file name of safe characters only, media type)."""
    if fmt == "csv":
        text = to_csv(table)
    elif fmt.startswith("table2-"):
        text = table2(title, table, fmt.removeprefix("table2-"))
    elif fmt == "md":
        text = to_markdown(title, table)
    else:
        text = to_latex(title, table)
    suffix, media = EXPORTS[fmt]
    filename = f"{challenge}-{track}-{table.split or 'none'}-{suffix}"
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in filename)
    return text, safe, media
