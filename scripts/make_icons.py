"""Draw the Sunshare icon and logo PNGs (add-on and integration brand) with Pillow.

Run ``.venv/bin/python scripts/make_icons.py`` after changing the design; the PNGs are
committed.
"""

from __future__ import annotations

import math
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

ROOT = Path(__file__).resolve().parent.parent
TEAL = (0, 121, 107, 255)
SUN = (255, 193, 7, 255)
WHITE = (255, 255, 255, 255)


def draw_icon(size: int) -> Image.Image:
    """Return a square icon: a sun with a lightning bolt on a rounded teal tile."""
    scale = 4  # draw large, then downsample for smooth edges
    big = size * scale
    image = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((0, 0, big - 1, big - 1), radius=big // 5, fill=TEAL)
    centre = big / 2
    radius = big * 0.22
    for ray in range(12):
        angle = ray * math.pi / 6
        inner, outer = radius * 1.25, radius * 1.7
        draw.line(
            (
                centre + inner * math.cos(angle),
                centre + inner * math.sin(angle),
                centre + outer * math.cos(angle),
                centre + outer * math.sin(angle),
            ),
            fill=SUN,
            width=max(1, big // 28),
        )
    draw.ellipse(
        (centre - radius, centre - radius, centre + radius, centre + radius), fill=SUN
    )
    bolt = [
        (0.53, 0.28),
        (0.40, 0.53),
        (0.50, 0.53),
        (0.46, 0.72),
        (0.60, 0.45),
        (0.50, 0.45),
    ]
    draw.polygon([(x * big, y * big) for x, y in bolt], fill=WHITE)
    return image.resize((size, size), Image.Resampling.LANCZOS)


def draw_logo(width: int, height: int) -> Image.Image:
    """Return a logo: the icon beside the word Sunshare."""
    image = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    icon = draw_icon(height)
    image.paste(icon, (0, 0), icon)
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=int(height * 0.38))
    draw.text((height + 8, height / 2), "Sunshare", fill=TEAL, font=font, anchor="lm")
    return image


def main() -> None:
    """Write every icon and logo file."""
    brand = ROOT / "custom_components" / "sunshare" / "brand"
    brand.mkdir(parents=True, exist_ok=True)
    draw_icon(256).save(brand / "icon.png")
    draw_icon(512).save(brand / "icon@2x.png")
    draw_logo(500, 200).save(brand / "logo.png")
    draw_icon(128).save(ROOT / "addon" / "icon.png")
    draw_logo(250, 100).save(ROOT / "addon" / "logo.png")


if __name__ == "__main__":
    main()
