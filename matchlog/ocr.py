"""OCR engines: image bytes in, words with confidences out.

The pipeline only knows the `OcrEngine` protocol. `settings.OCR_ENGINE` names the class
(dotted path) and `settings.OCR_ENGINE_OPTIONS` its keyword arguments: Tesseract by
default, `StaticTextEngine` for tests of the parsing layer, or another provider's adapter.
"""

import io
import os
import warnings
from dataclasses import dataclass, field
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string
from PIL import Image, ImageChops, ImageFilter, ImageOps, ImageStat, UnidentifiedImageError


class OcrError(Exception):
    """The engine could not read the image; `reason` is shown to the uploader."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class OcrWord:
    text: str
    confidence: float  # 0..1
    # Horizontal centre as a fraction of the image's width (0 left .. 1 right), when the engine
    # says where the word is: which side of a score screen a scorer line is on.
    x: float | None = None


@dataclass(frozen=True)
class OcrLine:
    words: tuple[OcrWord, ...]

    @property
    def text(self) -> str:
        return " ".join(word.text for word in self.words)


@dataclass(frozen=True)
class OcrResult:
    lines: tuple[OcrLine, ...] = field(default_factory=tuple)

    @property
    def text(self) -> str:
        return "\n".join(line.text for line in self.lines)

    @property
    def is_empty(self) -> bool:
        return not any(line.words for line in self.lines)


class OcrEngine(Protocol):
    def read(self, image_bytes: bytes) -> OcrResult:
        """Return the text lines of the image, top to bottom. Raise OcrError when it cannot."""
        ...


def get_engine() -> OcrEngine:
    engine_class = import_string(settings.OCR_ENGINE)
    return engine_class(**settings.OCR_ENGINE_OPTIONS)


def open_image(image_bytes: bytes, *, max_pixels: int) -> Image.Image:
    """Decode stored bytes defensively: whatever is in storage may not be an image any more."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(image_bytes))
            if image.width * image.height > max_pixels:
                raise OcrError(f"The image is {image.width}×{image.height}; too large to read.")
            image.load()
    except OcrError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise OcrError("The image's dimensions are too large to read.") from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        raise OcrError("The file is not an image that can be read.") from None
    return image


# Wider than a stroke of the largest text (a 56 px score), narrower than a row panel; in source pixels.
BACKGROUND_BLUR = 12


def _otsu_threshold(histogram: list[int]) -> int:
    """The grey level that best separates text from background (Otsu's method)."""
    total = sum(histogram)
    weighted_total = sum(level * count for level, count in enumerate(histogram))
    background = background_sum = 0
    best_threshold, best_variance = 127, -1.0
    for level, count in enumerate(histogram):
        background += count
        if background == 0:
            continue
        foreground = total - background
        if foreground == 0:
            break
        background_sum += level * count
        mean_background = background_sum / background
        mean_foreground = (weighted_total - background_sum) / foreground
        variance = background * foreground * (mean_background - mean_foreground) ** 2
        if variance > best_variance:
            best_threshold, best_variance = level, variance
    return best_threshold


def strokes(image: Image.Image, *, min_width: int = 2000) -> Image.Image:
    """The text's strokes, light on black, large enough: what `binarize` makes Tesseract's input of.

    Game screens draw light text over textured gradients (streaks, dots, translucent panels):
    a global threshold keeps the texture and Tesseract reads it as lines of junk, which
    buried the real rows. So the background is estimated (a wide blur) and subtracted (a
    white top-hat), which leaves strokes thinner than the blur, whatever the shade around
    them, and only then is the image thresholded (`binarize`). A light screen (dark text) is
    inverted first. Narrow screenshots are upscaled towards `min_width` (at most 3×): text
    shrunk by a 0.75× screenshot at 18 px is then ~27 px, in Tesseract's comfortable range.
    Measured on tests/matchlog/corpus.py (docs/RELIABILITY.md, "OCR corpus").
    """
    grey = ImageOps.grayscale(image.convert("RGB"))
    if ImageStat.Stat(grey).mean[0] >= 128:
        grey = ImageOps.invert(grey)
    scale = 1.0
    if grey.width < min_width:
        scale = min(3.0, min_width / grey.width)
        grey = grey.resize((round(grey.width * scale), round(grey.height * scale)), Image.Resampling.LANCZOS)
    background = grey.filter(ImageFilter.GaussianBlur(BACKGROUND_BLUR * scale))
    return ImageOps.autocontrast(ImageChops.subtract(grey, background), cutoff=1)


def binarize(strokes: Image.Image, *, texture: bool = False) -> Image.Image:
    """Black text on white, split at the level that best separates strokes from the rest (Otsu).

    `texture`: for a small cut-out around one word. The level above still lets through the
    remains of the texture next to the word (a streak at half the digit's brightness) that made
    the word doubtful; splitting the levels above it again (Otsu) separates those from the text,
    and halfway between the two keeps the strokes whole. (On a whole screen that halfway level
    also drops dimmer coloured text, so it is only used on cut-outs.)"""
    histogram = strokes.histogram()
    threshold = _otsu_threshold(histogram)
    if texture:
        text = _otsu_threshold([0] * (threshold + 1) + histogram[threshold + 1 :])
        threshold = (threshold + text) // 2
    return strokes.point(lambda level: 0 if level > threshold else 255, mode="L")


REREAD_BELOW = 0.8  # words read with less confidence are read again on their own
REREAD_LIMIT = 40  # at most this many a screenshot (one extra Tesseract call for all of them)
REREAD_DISAGREE = 0.3  # the confidence of a word the second reading disagrees with


class TesseractEngine:
    """Tesseract through pytesseract (apt: tesseract-ocr), with word confidences from image_to_data."""

    def __init__(self, *, lang: str = "eng", psm: int = 6, timeout: float = 30, cmd: str = "", max_pixels: int = 0):
        self.lang = lang
        self.config = f"--psm {psm}"
        self.timeout = timeout
        self.cmd = cmd
        self.max_pixels = max_pixels or settings.AVATAR_MAX_PIXELS

    def read(self, image_bytes: bytes) -> OcrResult:
        import pytesseract

        # pytesseract keeps the binary's path in a module global: set it on every read, so an
        # engine configured without `cmd` never inherits another configuration's.
        pytesseract.pytesseract.tesseract_cmd = self.cmd or "tesseract"
        # Tesseract's OpenMP threads spin while they wait: on a busy 2-core worker, reads took twice
        # as long with them as with one thread. Each read is one process; set OMP_THREAD_LIMIT to override.
        os.environ.setdefault("OMP_THREAD_LIMIT", "1")
        grey = strokes(open_image(image_bytes, max_pixels=self.max_pixels))
        try:
            data = self._data(binarize(grey), self.config)
            words = self._reread(grey, data)
        except pytesseract.TesseractNotFoundError:
            raise OcrError("The OCR engine is not available on this server; enter the result by hand.") from None
        except RuntimeError as exc:  # pytesseract raises RuntimeError on its timeout
            raise OcrError(f"The OCR engine gave up on this image ({exc}).") from None
        except pytesseract.TesseractError as exc:
            raise OcrError(f"The OCR engine could not read this image ({exc.message or exc.status}).") from None
        return self._lines(data, words)

    def _data(self, image: Image.Image, config: str) -> dict:
        import pytesseract

        return pytesseract.image_to_data(
            image, lang=self.lang, config=config, timeout=self.timeout, output_type=pytesseract.Output.DICT
        )

    def _reread(self, image: Image.Image, data: dict) -> dict[int, OcrWord]:
        """Every word, with the short ones Tesseract was unsure of read a second time on their own.

        Tesseract's confidence in a short token says little on a busy screen: a right `3` beside a
        speck of texture scores 0.00. Each doubtful short word is cut out of `strokes`, thresholded
        on its own (the speck is far dimmer than the digit), and all of them are pasted
        one under the other on a clean sheet that is read in one more call: a second reading that
        agrees makes the word sure, one that disagrees makes it doubtful.
        """
        words: dict[int, OcrWord] = {}
        doubtful = []
        for index, text in enumerate(data["text"]):
            text = (text or "").strip()
            confidence = float(data["conf"][index])
            if not text or confidence < 0:
                continue
            x = (data["left"][index] + data["width"][index] / 2) / image.width
            words[index] = OcrWord(text=text, confidence=min(confidence, 100.0) / 100, x=round(x, 3))
            short = sum(character.isalnum() for character in text) <= 4
            if words[index].confidence < REREAD_BELOW and short and any(c.isdigit() for c in text):
                doubtful.append(index)
        if not doubtful:
            return words
        doubtful = sorted(doubtful, key=lambda i: words[i].confidence)[:REREAD_LIMIT]
        crops = []
        for index in doubtful:
            left, top, width, height = (data[key][index] for key in ("left", "top", "width", "height"))
            pad = max(6, height // 2)
            crops.append(
                binarize(image.crop((left - pad, top - pad, left + width + pad, top + height + pad)), texture=True)
            )
        gap = max(crop.height for crop in crops)
        sheet = Image.new(
            "L", (max(crop.width for crop in crops) + 2 * gap, sum(c.height + gap for c in crops) + gap), 255
        )
        bands, y = [], gap
        for crop in crops:
            sheet.paste(crop, (gap, y))
            bands.append((y - gap // 2, y + crop.height + gap // 2))
            y += crop.height + gap
        again = self._data(sheet, "--psm 6")
        reread: dict[int, list[tuple[str, float]]] = {}
        for index, text in enumerate(again["text"]):
            text = (text or "").strip()
            if not text or float(again["conf"][index]) < 0:
                continue
            middle = again["top"][index] + again["height"][index] / 2
            band = next((b for b, (start, end) in enumerate(bands) if start <= middle < end), None)
            if band is not None:
                reread.setdefault(band, []).append((text, float(again["conf"][index]) / 100))
        for band, index in enumerate(doubtful):
            first = words[index]
            second = reread.get(band, [])
            if len(second) == 1 and second[0][0] == first.text:
                confidence = max(first.confidence, second[0][1])
            else:
                confidence = min(first.confidence, REREAD_DISAGREE)
            words[index] = OcrWord(text=first.text, confidence=confidence, x=first.x)
        return words

    @staticmethod
    def _lines(data: dict, words: dict[int, OcrWord]) -> OcrResult:
        lines: dict[tuple[int, int, int], list[OcrWord]] = {}
        for index, word in words.items():
            key = (data["block_num"][index], data["par_num"][index], data["line_num"][index])
            lines.setdefault(key, []).append(word)
        return OcrResult(lines=tuple(OcrLine(words=tuple(words)) for _, words in sorted(lines.items())))


class StaticTextEngine:
    """Returns canned text for any image that decodes: tests of the parsing layer, demos.

    Every word gets `confidence`; a word written as `text@0.42` gets its own (0.42).
    """

    def __init__(self, *, text: str = "", confidence: float = 0.95, max_pixels: int = 0):
        self.text = text
        self.confidence = confidence
        self.max_pixels = max_pixels or settings.AVATAR_MAX_PIXELS

    def read(self, image_bytes: bytes) -> OcrResult:
        open_image(image_bytes, max_pixels=self.max_pixels)
        lines = [tuple(self._word(token) for token in raw.split()) for raw in self.text.splitlines()]
        return OcrResult(lines=tuple(OcrLine(words=words) for words in lines if words))

    def _word(self, token: str) -> OcrWord:
        text, at, given = token.rpartition("@")
        if at and text:
            try:
                return OcrWord(text=text, confidence=float(given))
            except ValueError:
                pass
        return OcrWord(text=token, confidence=self.confidence)
