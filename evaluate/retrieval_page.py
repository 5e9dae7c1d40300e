"""A results page a person can look at: for each query, its thumbnail, its sound and its AP,
then the matches of the other modality with thumbnail, class, similarity and whether they
share the query's class. Plain HTML and CSS; images and sounds are files in a folder next
to the page (`<page>_files/`), so the page opens from disk with no network."""
from __future__ import annotations

import hashlib
import html
import os
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

STYLE = """
body { font-family: system-ui, sans-serif; margin: 24px; color: #222; background: #fafafa; }
h1 { font-size: 22px; margin: 0 0 4px; }
p.intro { color: #555; max-width: 60em; }
section { background: #fff; border: 1px solid #ddd; border-radius: 8px; padding: 12px 16px; margin: 16px 0; }
.query { display: flex; gap: 16px; align-items: center; margin-bottom: 10px; }
.query img { width: 160px; border-radius: 4px; }
.query .what { font-size: 15px; }
.query audio { display: block; margin-top: 6px; height: 32px; }
.matches { display: grid; grid-template-columns: repeat(auto-fill, minmax(100px, 1fr)); gap: 8px; }
.card { border: 2px solid #ccc; border-radius: 6px; padding: 4px; font-size: 12px; background: #fff; }
.card.hit { border-color: #2e8b57; }
.card.miss { border-color: #c0392b; }
.card img { width: 100%; border-radius: 3px; display: block; }
.card .noimg { height: 60px; background: #eee; border-radius: 3px; display: flex; align-items: center;
               justify-content: center; color: #888; }
.mark { font-weight: bold; }
.hit .mark { color: #2e8b57; }
.miss .mark { color: #c0392b; }
.id { color: #666; overflow-wrap: normal; word-break: normal; }
"""


@dataclass
class Clip:
    clip_id: str
    class_name: str
    thumbnail: bytes | None = None  # JPEG
    audio: bytes | None = None      # WAV


@dataclass
class Match:
    clip: Clip
    similarity: float
    same_class: bool


@dataclass
class QueryResult:
    query: Clip
    by: str                      # the query's modality: "audio" or "visual"
    matches: list[Match] = field(default_factory=list)
    average_precision: float | None = None
    possible: int | None = None  # most same-class matches the top list can hold; None: the query's class is unknown


def _breakable(text: str) -> str:
    """HTML-escaped text that may wrap only after _ / - . (never inside a word)."""
    return re.sub(r"([_/.-])", r"\1<wbr>", html.escape(text))


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", name)[:80]


class _Assets:
    """Writes each clip's files once into the page's folder; returns their page-relative paths."""

    def __init__(self, folder: Path):
        self.folder, self.written = folder, {}

    def link(self, clip_id: str, kind: str, data: bytes) -> str:
        key = (clip_id, kind)
        if key not in self.written:
            # named by the clip alone, so another run's page reuses the names of the clips it shares
            digest = hashlib.sha1(clip_id.encode("utf-8")).hexdigest()[:8]
            name = f"{_safe(clip_id)[:60]}_{digest}.{kind}"
            (self.folder / name).write_bytes(data)
            self.written[key] = f"{self.folder.name}/{name}"
        return self.written[key]


def _thumbnail(assets: _Assets, clip: Clip) -> str:
    if clip.thumbnail:
        source = html.escape(assets.link(clip.clip_id, "jpg", clip.thumbnail))
        return f'<img src="{source}" alt="{html.escape(clip.clip_id)}">'
    return '<div class="noimg">no video</div>'


def _query_html(assets: _Assets, result: QueryResult) -> str:
    q = result.query
    other = "visual" if result.by == "audio" else "audio"
    sound = ""
    if q.audio:
        sound = (
            f'<audio controls preload="metadata" src="{html.escape(assets.link(q.clip_id, "wav", q.audio))}"></audio>'
        )
    ap = "" if result.average_precision is None else f" · AP {result.average_precision:.3f}"
    known = result.possible is not None
    hits = sum(m.same_class for m in result.matches)
    cards = []
    for rank, m in enumerate(result.matches, 1):
        kind, mark = (("hit", "✓") if m.same_class else ("miss", "✗")) if known else ("", "")
        cards.append(
            f'<div class="card {kind}">{_thumbnail(assets, m.clip)}'
            f'<div><span class="mark">{mark}</span> #{rank} {html.escape(m.clip.class_name)}</div>'
            f'<div>cos {m.similarity:.3f}</div><div class="id">{_breakable(m.clip.clip_id)}</div></div>')
    count = (f": {hits} of {result.possible} possible of the same class" if known
             else " (the query's class is unknown, so none is marked)")
    return (
        f'<section><div class="query">{_thumbnail(assets, q)}<div class="what">'
        f'<b>{html.escape(q.class_name)}</b> · query by {result.by}{ap}<br>'
        f'<span class="id">{_breakable(q.clip_id)}</span><br>'
        f'top {len(result.matches)} {other} matches{count}{sound}</div></div>'
        f'<div class="matches">{"".join(cards)}</div></section>')


def write_page(path: str | Path, title: str, intro: str, results: list[QueryResult]) -> Path:
    """Write the page and its `<stem>_files/` folder (replacing older ones); returns the page path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    folder = path.with_name(path.stem + "_files")
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    # always one file, so the folder exists in git even for data without pictures or sound
    (folder / "README.txt").write_text(f"Thumbnails and sound excerpts shown by {path.name}, named by clip.\n")
    assets = _Assets(folder)
    body = "".join(_query_html(assets, r) for r in results)
    page = (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
            f'<style>{STYLE}</style></head><body><h1>{html.escape(title)}</h1>'
            f'<p class="intro">{html.escape(intro)}</p>{body}</body></html>\n')
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(page, encoding="utf-8")
    os.replace(tmp, path)
    return path
