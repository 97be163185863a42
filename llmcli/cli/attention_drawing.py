"""Drawing one attention map (rows: the token attending; columns: the tokens it attends
to): as a heatmap of coloured cells in the terminal, or saved as SVG, HTML or PNG. Pure
Python: no plotting library."""

from __future__ import annotations

import html
import struct
import zlib
from pathlib import Path

LABEL = 14  # characters of a token's label in the terminal
PNG_CELL = 12  # pixels a cell in a PNG
SVG_CELL, SVG_LABEL = 18, 110  # pixels: a cell, the room for the labels


def shown(token: str) -> str:
    """A token as text one can see: spaces as ·, line breaks as ⏎, tabs as →."""
    return token.replace(" ", "·").replace("\n", "⏎").replace("\t", "→") or "∅"


def colour(value: float) -> tuple[int, int, int]:
    """From near white (0) to deep blue (1)."""
    value = min(1.0, max(0.0, value))
    return round(247 - 239 * value), round(251 - 203 * value), round(255 - 148 * value)


def scaled(weights: list[list[float]]) -> list[list[float]]:
    """Weights over the largest off the first column (the first token soaks up attention in
    most models), square-rooted so that small weights still show."""
    rest = [w for row in weights for w in row[1:]] or [w for row in weights for w in row]
    top = max(rest) or 1.0
    return [[min(1.0, w / top) ** 0.5 for w in row] for row in weights]


def terminal_heatmap(tokens: list[str], weights: list[list[float]], first: int = 0):
    """A Rich Text: one line a query token, two coloured cells a key token; the column
    numbers above, every fifth."""
    from rich.text import Text

    values = scaled(weights)
    text = Text()
    ruler = "".join(f"{first + j:<10}" for j in range(0, len(tokens), 5))
    text.append(" " * (LABEL + 6) + ruler + "\n", style="dim")
    for i, (token, row) in enumerate(zip(tokens, values)):
        text.append(f"{first + i:>4}  {shown(token)[:LABEL]:<{LABEL}}", style="bold" if i == len(tokens) - 1 else "")
        for j, value in enumerate(row):
            text.append("  ", style=f"on rgb{colour(value)}" if j <= i else "")
        text.append("\n")
    return text


def save(path: Path, tokens: list[str], weights: list[list[float]], title: str) -> None:
    writers = {".svg": svg, ".html": page, ".htm": page, ".png": png}
    data = writers[path.suffix.lower()](tokens, weights, title)
    from llmcli.files import atomic_write_bytes

    atomic_write_bytes(path, data if isinstance(data, bytes) else data.encode("utf-8"))


def svg(tokens, weights, title: str) -> str:
    values, n = scaled(weights), len(tokens)
    size = SVG_LABEL + n * SVG_CELL
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{size + 10}" height="{size + 30}" '
             f'font-family="monospace" font-size="11">', f'<text x="4" y="14">{html.escape(title)}</text>']
    for i, token in enumerate(tokens):
        label = html.escape(shown(token)[:LABEL])
        y = 20 + SVG_LABEL + i * SVG_CELL
        parts.append(f'<text x="{SVG_LABEL - 4}" y="{y + 13}" text-anchor="end">{label}</text>')
        x = SVG_LABEL + i * SVG_CELL
        parts.append(f'<text transform="translate({x + 13},{20 + SVG_LABEL - 4}) rotate(-90)">{label}</text>')
        for j in range(i + 1):
            r, g, b = colour(values[i][j])
            parts.append(f'<rect x="{SVG_LABEL + j * SVG_CELL}" y="{y}" width="{SVG_CELL}" height="{SVG_CELL}" '
                         f'fill="rgb({r},{g},{b})"><title>{weights[i][j]:.4f}</title></rect>')
    return "\n".join(parts + ["</svg>\n"])


def page(tokens, weights, title: str) -> str:
    values = scaled(weights)
    head = "".join(f"<th><div>{html.escape(shown(t))}</div></th>" for t in tokens)
    rows = []
    for i, token in enumerate(tokens):
        cells = "".join(
            f'<td style="background:rgb{colour(values[i][j])}" title="{weights[i][j]:.4f}"></td>' if j <= i
            else "<td></td>" for j in range(len(tokens)))
        rows.append(f"<tr><th>{html.escape(shown(token))}</th>{cells}</tr>")
    style = ("body{font-family:monospace}td{width:16px;height:16px}th div{writing-mode:vertical-rl;"
             "transform:rotate(180deg)}th{font-weight:normal;text-align:right}")
    return (f"<!doctype html><meta charset=utf-8><title>{html.escape(title)}</title><style>{style}</style>"
            f"<h3>{html.escape(title)}</h3><table><tr><th></th>{head}</tr>{''.join(rows)}</table>\n")


def png(tokens, weights, title: str) -> bytes:
    """An RGB image, PNG_CELL pixels a cell, no labels (the SVG and HTML have them)."""
    values, n = scaled(weights), len(tokens)
    lines = []
    for i in range(n):
        row = b"".join(bytes(colour(values[i][j]) if j <= i else (255, 255, 255)) * PNG_CELL for j in range(n))
        lines.extend([b"\x00" + row] * PNG_CELL)
    side = n * PNG_CELL

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"".join(lines), 9))
            + chunk(b"IEND", b""))
