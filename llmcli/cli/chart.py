"""A line chart drawn with text, for loss curves in the terminal."""

from __future__ import annotations


def resample(values: list[float], width: int) -> list[float]:
    """`width` points: the mean of each bucket, so noise averages out."""
    if len(values) <= width:
        return values
    out = []
    for i in range(width):
        lo, hi = i * len(values) // width, (i + 1) * len(values) // width
        bucket = values[lo:max(hi, lo + 1)]
        out.append(sum(bucket) / len(bucket))
    return out


def line_chart(xs: list[float], ys: list[float], width: int = 60, height: int = 12) -> str:
    """Rows of text plotting ys against xs, with the y range on the left."""
    if not ys:
        return "(no data)"
    points = resample(ys, width)
    lo, hi = min(points), max(points)
    span = (hi - lo) or 1.0
    grid = [[" "] * len(points) for _ in range(height)]
    for col, y in enumerate(points):
        row = round((hi - y) / span * (height - 1))
        grid[row][col] = "•"
    label_width = max(len(f"{hi:.3f}"), len(f"{lo:.3f}"))
    lines = []
    for r, cells in enumerate(grid):
        label = f"{hi:.3f}" if r == 0 else f"{lo:.3f}" if r == height - 1 else ""
        lines.append(f"{label:>{label_width}} │{''.join(cells)}")
    lines.append(" " * label_width + " └" + "─" * len(points))
    first, last = f"{xs[0]:g}", f"step {xs[-1]:g}"
    lines.append(" " * (label_width + 2) + first + " " * max(1, len(points) - len(first) - len(last)) + last)
    return "\n".join(lines)
