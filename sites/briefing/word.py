"""The briefing as a Word document (.docx, python-docx): the sections, the ranking table and
the red projects' map, in a Chinese font."""

from __future__ import annotations

import io

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Cm, Pt

from sites.briefing import prose
from sites.briefing.figures import Briefing

FONT = "WenQuanYi Micro Hei"  # Debian's fonts-wqy-microhei; Word substitutes a CJK sans


def _east_asian(style, size: float) -> None:
    style.font.name = FONT
    style.font.size = Pt(size)
    # Word picks the font of CJK text from w:eastAsia, not from w:ascii.
    style.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), FONT)


def briefing_docx(b: Briefing, *, map_png: bytes | None) -> bytes:
    document = Document()
    _east_asian(document.styles["Normal"], 11)
    for name in ("Title", "Heading 1"):
        _east_asian(document.styles[name], 18 if name == "Title" else 14)
    heading = document.add_heading(prose.title(b), level=0)
    heading.alignment = WD_ALIGN_PARAGRAPH.CENTER
    for section in prose.sections(b):
        document.add_heading(section.heading, level=1)
        for text in section.paragraphs:
            document.add_paragraph(text)
        for text in section.items:
            document.add_paragraph(text, style="List Paragraph")
        if section.table:
            header, rows = section.table
            table = document.add_table(rows=1, cols=len(header))
            table.style = "Table Grid"
            for cell, text in zip(table.rows[0].cells, header, strict=True):
                cell.text = text
            for row in rows:
                for cell, text in zip(table.add_row().cells, row, strict=True):
                    cell.text = text
        if section.key == "red" and map_png:
            document.add_picture(io.BytesIO(map_png), width=Cm(16))
            document.add_paragraph(prose.MAP_CAPTION)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()
