"""Photo evidence of audit items: only JPEG or PNG, size-capped, re-encoded, kept outside the web root.

An auditor may back a checklist answer with a photo (the reception desk unstaffed, the service
booklet not stamped). An uploaded file is hostile until proven otherwise, so :func:`clean_image`:

* refuses more than ``max_bytes`` before decoding anything;
* accepts only a file that *starts* as JPEG or PNG (the magic bytes, not the name or the
  declared type) and that Pillow identifies as the same format;
* refuses a decompression bomb: more than ``max_pixels`` pixels from the header alone, before
  the pixels are decoded (Pillow's own ``DecompressionBombError`` is caught too);
* refuses a polyglot: bytes after the image's end (after JPEG's EOI, after PNG's IEND), where a
  ZIP, a script or an HTML page can hide and be read by another program;
* decodes the pixels and encodes a new file from them alone, so EXIF (GPS position, camera
  serial), XMP, ICC, comments and PNG text chunks are gone, and orientation is applied first.

:func:`store` writes the clean file under the evidence folder (the Flask instance folder, never
``static/``), named by the audit's response id and the item, replacing an earlier photo of the
item; nothing is written when the upload is refused. A photo attached while the audit is being
filled in (before its response exists) is kept by :func:`keep` under :func:`form_owner` of the
submission key the response will carry. When the response is deleted, or the form is abandoned,
the photos go too (:mod:`surveykit.evidence_purge`).
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import warnings
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

from surveykit.errors import SurveykitError

__all__ = [
    "MAX_BYTES",
    "MAX_PIXELS",
    "CleanImage",
    "EvidenceError",
    "clean_image",
    "find",
    "form_owner",
    "keep",
    "store",
    "valid_name",
]

MAX_BYTES = 8 * 1024 * 1024  # a phone photo is 2-6 MB
MAX_PIXELS = 40_000_000  # 40 megapixels: above any phone camera, far below a bomb's billions
_MAGIC = {b"\xff\xd8\xff": "JPEG", b"\x89PNG\r\n\x1a\n": "PNG"}
_EXT = {"JPEG": "jpg", "PNG": "png"}
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,127}\Z")


class EvidenceError(SurveykitError, ValueError):
    """An upload that is refused; the message says why, for the auditor."""


@dataclass(frozen=True, slots=True)
class CleanImage:
    data: bytes
    format: str  # JPEG or PNG
    width: int
    height: int
    sha256: str

    @property
    def extension(self) -> str:
        return _EXT[self.format]


def clean_image(data: bytes, *, max_bytes: int = MAX_BYTES, max_pixels: int = MAX_PIXELS) -> CleanImage:
    """The image re-encoded from its pixels alone, or :class:`EvidenceError` saying what is wrong."""
    if len(data) > max_bytes:
        raise EvidenceError(f"the file has {len(data):,} bytes; a photo may have at most {max_bytes:,}")
    kind = next((fmt for magic, fmt in _MAGIC.items() if data.startswith(magic)), None)
    if kind is None:
        raise EvidenceError("the file is not a JPEG or PNG photo")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=[kind]) as img:
                width, height = img.size
                if width * height > max_pixels:
                    raise EvidenceError(
                        f"the image is {width} x {height} pixels; at most {max_pixels:,} pixels are accepted"
                    )
                img.load()
                if _trailing(data, kind, img):
                    raise EvidenceError("the file has data after the end of the image; it is refused")
                upright = ImageOps.exif_transpose(img)
                converted = upright.convert("RGBA" if upright.mode in ("RGBA", "LA", "P") else "RGB")
                # a new image from the pixels alone: no info dict (comments, ICC, text) is carried over
                pixels = Image.frombytes(converted.mode, converted.size, converted.tobytes())
    except EvidenceError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise EvidenceError("the image is too large when decoded; it is refused") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise EvidenceError("the file is damaged or not a JPEG or PNG photo") from None
    out = io.BytesIO()
    if kind == "JPEG":
        pixels.convert("RGB").save(out, format="JPEG", quality=88, optimize=True)
    else:
        pixels.save(out, format="PNG", optimize=True)
    clean = out.getvalue()
    return CleanImage(clean, kind, pixels.width, pixels.height, hashlib.sha256(clean).hexdigest())


def _trailing(data: bytes, kind: str, img: Image.Image) -> bool:
    """Whether bytes follow the end of the image (a polyglot's second file hides there)."""
    if kind == "PNG":
        end = data.rfind(b"IEND")
        return end < 0 or len(data) > end + 8  # the IEND type, then its 4-byte CRC
    end = data.rfind(b"\xff\xd9")
    return end < 0 or data[end + 2 :].strip(b"\x00") != b""


def valid_name(value: str) -> bool:
    """Whether ``value`` may name a survey, owner or item folder of photos (no dot, slash or path of its own)."""
    return bool(_NAME.fullmatch(value))


def _path(folder: str | os.PathLike[str], survey: str, response_id: str, item: str) -> Path:
    for name, value in (("survey", survey), ("response", response_id), ("item", item)):
        if not valid_name(value):
            raise EvidenceError(f"{name} {value!r} cannot name a photo")
    return Path(folder) / survey / response_id / item


def store(
    folder: str | os.PathLike[str], survey: str, response_id: str, item: str, data: bytes, *, max_bytes: int = MAX_BYTES
) -> CleanImage:
    """Clean ``data`` and keep it as the photo of ``item`` in that audit (replacing an earlier one).

    Nothing is written when the upload is refused.
    """
    clean = clean_image(data, max_bytes=max_bytes)
    keep(folder, survey, response_id, item, clean)
    return clean


def keep(folder: str | os.PathLike[str], survey: str, owner: str, item: str, clean: CleanImage) -> Path:
    """Write a cleaned photo of ``item`` under ``owner`` (a response id, or :func:`form_owner` of a form in progress).

    The file is written next to its final name and renamed over it, so a reader never sees half a photo;
    an earlier photo of the item (another format) is removed.
    """
    base = _path(folder, survey, owner, item)
    base.parent.mkdir(parents=True, exist_ok=True)
    target = base.with_suffix(f".{clean.extension}")
    for old in base.parent.glob(f"{item}.*"):
        if old != target:
            old.unlink()
    partial = target.with_suffix(".part")
    partial.write_bytes(clean.data)
    partial.replace(target)
    return target


def form_owner(key: str) -> str:
    """The folder name of the photos attached while an audit is being filled: its submission key, hashed.

    The photo is kept before the response exists, so it is filed under the submission key the response
    will carry (``responses.key``); only a hash of it names the folder, the key itself stays secret.
    """
    return "k" + hashlib.sha256(key.encode("utf-8")).hexdigest()[:40]


def find(folder: str | os.PathLike[str], survey: str, response_id: str, item: str) -> Path | None:
    """The stored photo of ``item`` in that audit, or None."""
    base = _path(folder, survey, response_id, item)
    for ext in _EXT.values():
        candidate = base.with_suffix(f".{ext}")
        if candidate.is_file():
            return candidate
    return None
