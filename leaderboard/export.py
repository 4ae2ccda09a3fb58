"""Leaderboard exports for the challenge report: CSV, Markdown and LaTeX (Table 1 shape)."""

from __future__ import annotations

import csv
import io

from leaderboard.models import TrackTableRow

FLAGS = (("extra_data", "ED"), ("ensemble", "ENS"), ("full_resolution", "FR"))


def _meta(row: TrackTableRow) -> dict:
    entry = next(iter(row.scores.values()), None)
    if entry is None:
        return {"ED": "", "ENS": "", "FR": "", "params": "", "runtime": "", "device": ""}
    out = {label: ("yes" if getattr(entry, field) else "no") for field, label in FLAGS}
    out["params"] = "" if entry.params_m is None else f"{entry.params_m:g}"
    out["runtime"] = "" if entry.runtime_s is None else f"{entry.runtime_s:g}"
    out["device"] = entry.device or ""
    return out


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
            "ED",
            "ENS",
            "FR",
            "params_m",
            "runtime_s",
            "device",
        ]
    )
    for r in rows:
        meta = _meta(r)
        full = []
        for s in splits:
            e = r.scores.get(s)
            full += [repr(e.psnr), repr(e.ssim)] if e else ["", ""]
        w.writerow(
            [
                r.rank or "",
                r.team,
                *full,
                meta["ED"],
                meta["ENS"],
                meta["FR"],
                meta["params"],
                meta["runtime"],
                meta["device"],
            ]
        )
    return buf.getvalue()


def to_markdown(title: str, splits: list[str], rows: list[TrackTableRow]) -> str:
    head = [
        "Rank",
        "Team",
        *[f"{s} {m}" for s in splits for m in ("PSNR", "SSIM")],
        "ED",
        "ENS",
        "FR",
        "Params (M)",
        "Runtime (s)",
        "Device",
    ]
    lines = [f"**{title}**", "", "| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
    for r in rows:
        m = _meta(r)
        lines.append(
            "| "
            + " | ".join(
                [
                    str(r.rank or "-"),
                    r.team,
                    *_cells(r, splits),
                    m["ED"],
                    m["ENS"],
                    m["FR"],
                    m["params"] or "-",
                    m["runtime"] or "-",
                    m["device"] or "-",
                ]
            )
            + " |"
        )
    return "\n".join(lines) + "\n"


def _tex(s: str) -> str:
    for a, b in (
        ("\\", r"\textbackslash{}"),
        ("&", r"\&"),
        ("%", r"\%"),
        ("$", r"\$"),
        ("#", r"\#"),
        ("_", r"\_"),
        ("{", r"\{"),
        ("}", r"\}"),
        ("~", r"\textasciitilde{}"),
        ("^", r"\textasciicircum{}"),
    ):
        s = s.replace(a, b)
    return s


def to_latex(title: str, splits: list[str], rows: list[TrackTableRow]) -> str:
    cols = "rl" + "cc" * len(splits) + "cccrrc"
    group = " & ".join(rf"\multicolumn{{2}}{{c}}{{{_tex(s)}}}" for s in splits)
    sub = " & ".join("PSNR & SSIM" for _ in splits)
    out = [
        r"\begin{table}[t]",
        r"\centering",
        rf"\caption{{{_tex(title)}}}",
        rf"\begin{{tabular}}{{{cols}}}",
        r"\toprule",
    ]
    out.append(rf" & & {group} & & & & & & \\")
    out.append(rf"Rank & Team & {sub} & ED & ENS & FR & Params (M) & Runtime (s) & Device \\")
    out.append(r"\midrule")
    for r in rows:
        m = _meta(r)
        cells = [
            str(r.rank or "-"),
            _tex(r.team),
            *_cells(r, splits),
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
