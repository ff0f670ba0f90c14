"""What every PDF report shares (contentplanner's post export, analytics' dashboards)."""

from __future__ import annotations


def embedded_fonts() -> tuple[str, str]:
    """Bitstream Vera (shipped with reportlab) embedded, so accented text renders and stays extractable.
    Returns the (regular, bold) font names."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    if "Vera" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont("Vera", "Vera.ttf"))
        pdfmetrics.registerFont(TTFont("VeraBd", "VeraBd.ttf"))
    return "Vera", "VeraBd"
