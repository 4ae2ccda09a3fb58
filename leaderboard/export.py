"""Leaderboard exports for the challenge report: CSV, Markdown and LaTeX (Table 1 shape)."""

from __future__ import annotations

import csv
import io
import re

from leaderboard.schemas import TrackTableRow

FLAGS = (("extra_data", "ED"), ("ensemble", "ENS"), ("full_resolution", "FR"))


def _one_line(text: str) -> str:
    """Free text on one line: newlines, tabs and runs of spaces become one space."""
    return " ".join(str(text).split())


def _md(text: str) -> str:
    """A Markdown table cell: one line, pipes escaped (a cell can never forge a column or a row)."""
    return _one_line(text).replace("\\", "\\\\").replace("|", "\\|")


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


def _entry(row: TrackTableRow, splits: list[str]):
    """The entry the row is ranked by (its first split's): the one submission its fact sheet comes from."""
    return row.scores.get(splits[0]) if splits else None


def _meta(row: TrackTableRow, splits: list[str]) -> dict:
    entry = _entry(row, splits)
    if entry is None:
        return {"ED": "", "ENS": "", "FR": "", "params": "", "runtime": "", "device": ""}
    out = {label: ("yes" if getattr(entry, field) else "no") for field, label in FLAGS}
    out["params"] = "" if entry.params_m is None else f"{entry.params_m:g}"
    out["runtime"] = "" if entry.runtime_s is None else f"{entry.runtime_s:g}"
    out["device"] = entry.device or ""
    return out


def _significance(row: TrackTableRow, splits: list[str]) -> list[str]:
    """95% interval and group on the first split (the ranking split), as text."""
    e = row.scores.get(splits[0]) if splits else None
    sg = e.significance if e else None
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


def to_csv(splits: list[str], rows: list[TrackTableRow]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(
        [
            "rank",
            "team",
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
    for r in rows:
        meta = _meta(r, splits)
        full = []
        for s in splits:
            e = r.scores.get(s)
            full += [repr(e.psnr), repr(e.ssim)] if e else ["", ""]
        e = r.scores.get(splits[0]) if splits else None
        sg = e.significance if e else None
        w.writerow(
            [
                r.rank or "",
                _csv(r.team),
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


def to_markdown(title: str, splits: list[str], rows: list[TrackTableRow]) -> str:
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
    lines = [f"**{title}**", "", "| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
    for r in rows:
        m = _meta(r, splits)
        lines.append(
            "| "
            + " | ".join(
                [
                    str(r.rank or "-"),
                    _md(r.team),
                    *_cells(r, splits),
                    *_significance(r, splits),
                    m["ED"],
                    m["ENS"],
                    m["FR"],
                    m["params"] or "-",
                    m["runtime"] or "-",
                    _md(m["device"] or "-"),
                ]
            )
            + " |"
        )
    return "\n".join(lines) + "\n"


def to_latex(title: str, splits: list[str], rows: list[TrackTableRow]) -> str:
    cols = "rl" + "cc" * len(splits) + "cc" + "cccrrc"
    group = " & ".join(rf"\multicolumn{{2}}{{c}}{{{_tex(s)}}}" for s in splits)
    sub = " & ".join("PSNR & SSIM" for _ in splits)
    out = [
        r"\begin{table}[t]",
        r"\centering",
        rf"\caption{{{_tex(title)}}}",
        rf"\begin{{tabular}}{{{cols}}}",
        r"\toprule",
    ]
    out.append(rf" & & {group} & & & & & & & & \\")
    out.append(rf"Rank & Team & {sub} & 95\% CI & Group & ED & ENS & FR & Params (M) & Runtime (s) & Device \\")
    out.append(r"\midrule")
    for r in rows:
        m = _meta(r, splits)
        cells = [
            str(r.rank or "-"),
            _tex(r.team),
            *_cells(r, splits),
            *_significance(r, splits),
            m["ED"],
            m["ENS"],
            m["FR"],
            m["params"] or "-",
            m["runtime"] or "-",
            _tex(m["device"] or "-"),
        ]
        out.append(" & ".join(cells) + r" \\")
    out += [r"\bottomrule", r"\end{tabular}", r"\end{table}"]
    return "\n".join(out) + "\n"


TABLE2 = ("Team", "Input", "Epochs", "ED", "ENS", "FR", "Params (M)", "Runtime (s)", "GPU")


def _table2_cells(row: TrackTableRow, splits: list[str]) -> list[str]:
    entry = _entry(row, splits)
    m = _meta(row, splits)
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


def table2(title: str, splits: list[str], rows: list[TrackTableRow], fmt: str) -> str:
    """The report's Table 2 (team, input, epochs, ED/ENS/FR, params, runtime, GPU) beside Table 1's scores."""
    head = [*TABLE2, *[f"{s} {m}" for s in splits for m in ("PSNR", "SSIM")]]
    body = [[*_table2_cells(r, splits), *_cells(r, splits)] for r in rows]
    if fmt == "md":
        lines = [f"**{title}**", "", "| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
        lines += ["| " + " | ".join(_md(c) for c in cells) + " |" for cells in body]
        return "\n".join(lines) + "\n"
    out = [
        r"\begin{table}[t]",
        r"\centering",
        rf"\caption{{{_tex(title)}}}",
        rf"\begin{{tabular}}{{l{'c' * (len(TABLE2) - 1)}{'cc' * len(splits)}}}",
        r"\toprule",
        " & ".join(_tex(h) for h in head) + r" \\",
        r"\midrule",
    ]
    out += [" & ".join(_tex(c) for c in cells) + r" \\" for cells in body]
    out += [r"\bottomrule", r"\end{tabular}", r"\end{table}"]
    return "\n".join(out) + "\n"
