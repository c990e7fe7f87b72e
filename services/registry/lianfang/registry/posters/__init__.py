"""Checkpoint QR codes and printable posters: PNG and SVG codes, and A4 PDFs streamed page by page."""

from lianfang.registry.posters.qr import qr_png, qr_svg
from lianfang.registry.posters.render import PosterInfo, poster_pdf

__all__ = ["PosterInfo", "poster_pdf", "qr_png", "qr_svg"]
