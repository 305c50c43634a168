"""Draws run summaries (the markdown the tasks upload) as PNG screenshots for the Marketplace page.

Developers only; the build and the tests never run it. It needs Pillow and the DejaVu fonts (Debian:
python3-pil, fonts-dejavu-core). Run the demo first (npm start), then:

    /usr/bin/python3 scripts/render-summaries.py .aml-mlops/demo/Train-train-summary.md images/screenshots/train.png ...

Pairs of arguments: a summary file and the PNG to write. Headings, paragraphs, tables and code blocks are drawn
the way the Azure DevOps summary tab lays them out, in a fixed width; links show their text.
"""
import os
import re
import sys

from PIL import Image, ImageDraw, ImageFont

WIDTH = 1100
MARGIN = 28
FONT_DIR = "/usr/share/fonts/truetype/dejavu/"
TEXT = ImageFont.truetype(FONT_DIR + "DejaVuSans.ttf", 15)
BOLD = ImageFont.truetype(FONT_DIR + "DejaVuSans-Bold.ttf", 15)
H3 = ImageFont.truetype(FONT_DIR + "DejaVuSans-Bold.ttf", 22)
H4 = ImageFont.truetype(FONT_DIR + "DejaVuSans-Bold.ttf", 17)
MONO = ImageFont.truetype(FONT_DIR + "DejaVuSansMono.ttf", 13)
INK, GREY, LINE, HEAD_BG, CODE_BG = (32, 31, 30), (96, 94, 92), (225, 223, 221), (243, 242, 241), (246, 248, 250)


def plain(text):
    """Markdown inline syntax as the summary tab shows it: link text, no backslash escapes."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    # The emoji the summaries use, as the symbols the DejaVu fonts have.
    for emoji, symbol in (("\u2705", "\u2713"), ("\u274c", "\u2717"), ("\u26a0\ufe0f", "\u26a0")):
        text = text.replace(emoji, symbol)
    return re.sub(r"\\(.)", r"\1", text).replace("**", "")


def wrap(draw, text, font, width):
    lines, line = [], ""
    for word in text.split(" "):
        candidate = f"{line} {word}".strip()
        if draw.textlength(candidate, font=font) <= width or not line:
            line = candidate
        else:
            lines.append(line)
            line = word
    return lines + [line]


def blocks(markdown):
    """(kind, payload) in order: heading3/heading4/paragraph/table/code."""
    lines = markdown.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("```"):
            j = i + 1
            while j < len(lines) and not lines[j].startswith("```"):
                j += 1
            yield "code", lines[i + 1:j]
            i = j + 1
        elif line.startswith("|"):
            rows = []
            while i < len(lines) and lines[i].startswith("|"):
                cells = [plain(c.strip()) for c in re.split(r"(?<!\\)\|", lines[i].strip())[1:-1]]
                if not all(re.fullmatch(r"-+", c) for c in cells):
                    rows.append(cells)
                i += 1
            yield "table", rows
        elif line.startswith("#### "):
            yield "heading4", plain(line[5:])
            i += 1
        elif line.startswith("### ") or line.startswith("## "):
            yield "heading3", plain(line.split(" ", 1)[1])
            i += 1
        elif line.strip():
            yield "paragraph", plain(line)
            i += 1
        else:
            i += 1


def render(markdown, out):
    canvas = Image.new("RGB", (WIDTH, 6000), "white")
    draw = ImageDraw.Draw(canvas)
    y = MARGIN
    inner = WIDTH - 2 * MARGIN
    for kind, payload in blocks(markdown):
        if kind == "heading3":
            draw.text((MARGIN, y), payload, font=H3, fill=INK)
            y += 38
        elif kind == "heading4":
            y += 6
            draw.text((MARGIN, y), payload, font=H4, fill=INK)
            y += 30
        elif kind == "paragraph":
            for line in wrap(draw, payload, TEXT, inner):
                draw.text((MARGIN, y), line, font=TEXT, fill=GREY)
                y += 21
            y += 6
        elif kind == "code":
            height = 12 + 17 * len(payload)
            draw.rectangle((MARGIN, y, MARGIN + inner, y + height), fill=CODE_BG, outline=LINE)
            for n, line in enumerate(payload):
                draw.text((MARGIN + 10, y + 6 + 17 * n), line, font=MONO, fill=INK)
            y += height + 12
        elif kind == "table":
            columns = max(len(r) for r in payload)
            header_empty = all(not c for c in payload[0])
            widths = [max(draw.textlength(r[c], font=BOLD) if c < len(r) else 0 for r in payload) + 24 for c in range(columns)]
            # Too wide: the widest column gives way (its text wraps), the short ones keep their width.
            while sum(widths) > inner:
                widest = widths.index(max(widths))
                widths[widest] = max(120, widths[widest] - (sum(widths) - inner))
                if widths[widest] == 120:
                    break
            for n, row in enumerate(payload):
                if n == 0 and header_empty:
                    continue
                wrapped = [wrap(draw, row[c] if c < len(row) else "", BOLD if n == 0 else TEXT, widths[c] - 20) for c in range(columns)]
                height = 10 + 20 * max(len(w) for w in wrapped)
                if n == 0:
                    draw.rectangle((MARGIN, y, MARGIN + sum(widths), y + height), fill=HEAD_BG)
                x = MARGIN
                for c in range(columns):
                    for k, line in enumerate(wrapped[c]):
                        font = BOLD if n == 0 or (header_empty and c == 0) else TEXT
                        draw.text((x + 10, y + 5 + 20 * k), line, font=font, fill=INK)
                    x += widths[c]
                y += height
                draw.line((MARGIN, y, MARGIN + sum(widths), y), fill=LINE)
            y += 16
    # A few grey levels are all the page has: a small palette keeps the files small.
    canvas.crop((0, 0, WIDTH, y + MARGIN)).convert("P", palette=Image.ADAPTIVE, colors=32).save(out, optimize=True)


if __name__ == "__main__":
    args = sys.argv[1:]
    if not args or len(args) % 2:
        sys.exit(__doc__)
    for source, target in zip(args[::2], args[1::2]):
        with open(source, encoding="utf-8") as f:
            # Paths on this machine are shown relative to the repository, as a pipeline's working directory would make them.
            render(f.read().replace(os.getcwd() + os.sep, ""), target)
        print(f"{source} -> {target}")
