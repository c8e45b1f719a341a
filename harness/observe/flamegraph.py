"""Flame graphs of sampled goroutines: folded stacks (flamegraph.pl / speedscope input) and a self-made SVG.

Each sample contributes one stack per goroutine doing build work, root first, under a root frame naming the step
it fell in, so one graph shows per step where the daemon was. The SVG is drawn here (no extra tools): one rectangle
per frame, as wide as its share of the stacks, coloured by frame class (red: naive differ, green: native diff,
orange: tar, blue: container start), with the full name and count as a tooltip; it opens in any browser.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from typing import Any

from harness.observe.pprof import Sample, frame_class

PACKAGE_PREFIXES = ("github.com/docker/docker/", "github.com/moby/buildkit/", "github.com/containerd/")
COLOURS = {"naive-diff": "#e0442e", "native-diff": "#4caf50", "tar": "#f39c12", "container-start": "#3b82c4"}
ROW_PX, WIDTH_PX, CHAR_PX, FONT_PX = 17, 1200, 6.6, 11


def folded_stacks(samples: Iterable[Sample], steps: Iterable[Any] = ()) -> Counter[str]:
    """`root;…;leaf` → count, for every build-work goroutine of every sample (root = the step, when known)."""
    steps = [step for step in steps if step.started_ns is not None]
    folded: Counter[str] = Counter()
    for sample in samples:
        root = _step_label(sample.at_ns, steps) if steps else None
        for goroutine in sample.goroutines:
            if goroutine.is_build_work:
                frames = [_short(frame) for frame in reversed(goroutine.frames)]
                folded[";".join([root, *frames] if root else frames)] += 1
    return folded


def write_folded(folded: Counter[str], path: Path) -> None:
    path.write_text("".join(f"{stack} {count}\n" for stack, count in sorted(folded.items())))


def write_flame_graph(folded: Counter[str], directory: Path, name: str, title: str) -> tuple[Path, Path]:
    """`NAME.folded` and `NAME.svg` in `directory` (one pair per scenario in a run's logs/pprof/)."""
    directory.mkdir(parents=True, exist_ok=True)
    folded_path, svg_path = directory / f"{name}.folded", directory / f"{name}.svg"
    write_folded(folded, folded_path)
    svg_path.write_text(render_svg(folded, title))
    return folded_path, svg_path


def read_folded(path: Path) -> Counter[str]:
    folded: Counter[str] = Counter()
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        folded[stack] += int(count)
    return folded


@dataclass
class _Node:
    count: int = 0
    children: dict[str, _Node] = field(default_factory=dict)


def render_svg(folded: Counter[str], title: str) -> str:
    """A flame graph (root at the bottom) as a standalone SVG document."""
    root = _Node()
    for stack, count in folded.items():
        node = root
        node.count += count
        for frame in stack.split(";"):
            node = node.children.setdefault(frame, _Node())
            node.count += count
    depth = _depth(root)
    height = (depth + 2) * ROW_PX
    rects: list[str] = []
    _draw(root, x=0.0, level=0, scale=WIDTH_PX / max(root.count, 1), height=height, out=rects)
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH_PX}" height="{height}" '
            f'font-family="monospace" font-size="{FONT_PX}">\n'
            f'<text x="4" y="{FONT_PX + 2}">{escape(title)} — {root.count} stacks</text>\n'
            + "\n".join(rects) + "\n</svg>\n")


def _draw(node: _Node, x: float, level: int, scale: float, height: int, out: list[str]) -> None:
    for name, child in sorted(node.children.items()):
        width = child.count * scale
        y = height - (level + 1) * ROW_PX
        label = name if len(name) * CHAR_PX < width - 4 else name[:max(int((width - 4) / CHAR_PX) - 2, 0)] + ".."
        text = f'<text x="{x + 2:.1f}" y="{y + ROW_PX - 5}">{escape(label)}</text>' if width > 3 * CHAR_PX else ""
        out.append(f'<g><title>{escape(name)} ({child.count} stacks)</title><rect x="{x:.1f}" y="{y}" '
                   f'width="{width:.1f}" height="{ROW_PX - 1}" fill="{_colour(name)}"/>{text}</g>')
        _draw(child, x, level + 1, scale, height, out)
        x += width


def _depth(node: _Node) -> int:
    return 1 + max((_depth(child) for child in node.children.values()), default=0) if node.children else 0


def _colour(frame: str) -> str:
    known = frame_class([frame])
    if known:
        return COLOURS[known]
    shade = int(hashlib.sha1(frame.encode()).hexdigest()[:2], 16)  # stable, varied warm greys
    return f"rgb({200 + shade % 50},{180 + shade % 40},{150 + shade % 30})"


def _short(frame: str) -> str:
    for prefix in PACKAGE_PREFIXES:
        if frame.startswith(prefix):
            return frame[len(prefix):]
    return frame.replace(";", ",")


def _step_label(at_ns: int, steps: list[Any]) -> str:
    for step in steps:
        if step.started_ns <= at_ns < step.started_ns + int(step.seconds * 1e9):
            return f"step {step.index}: {step.text}".replace(";", ",")
    return "outside the timed steps (context upload, final tagging)"
