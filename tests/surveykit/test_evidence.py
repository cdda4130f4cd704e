"""Photo evidence: only clean JPEG/PNG is kept; every hostile upload is refused with a message and stores nothing."""

from __future__ import annotations

import io
import zipfile

import pytest
from PIL import Image, PngImagePlugin

from surveykit.evidence import EvidenceError, clean_image, find, store


def jpeg(size=(64, 48), exif: bool = True) -> bytes:
    img = Image.new("RGB", size, (200, 30, 30))
    out = io.BytesIO()
    if exif:
        tags = Image.Exif()
        tags[0x010F] = "SecretCam"  # Make
        tags[0x0112] = 6  # orientation: rotate 90
        img.save(out, format="JPEG", exif=tags.tobytes(), comment=b"auditor home address")
    else:
        img.save(out, format="JPEG")
    return out.getvalue()


def png(size=(40, 30)) -> bytes:
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "<script>alert(1)</script>")
    out = io.BytesIO()
    Image.new("RGBA", size, (0, 0, 255, 128)).save(out, format="PNG", pnginfo=info)
    return out.getvalue()


def test_jpeg_is_reencoded_without_metadata_and_upright():
    clean = clean_image(jpeg())
    assert clean.format == "JPEG" and (clean.width, clean.height) == (48, 64)  # orientation applied
    assert b"SecretCam" not in clean.data and b"auditor home" not in clean.data
    with Image.open(io.BytesIO(clean.data)) as img:
        assert not img.getexif() and "comment" not in img.info


def test_png_loses_its_text_chunks():
    clean = clean_image(png())
    assert clean.format == "PNG" and b"<script>" not in clean.data and b"tEXt" not in clean.data


def _zip() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("payload.html", "<script>alert(1)</script>")
    return out.getvalue()


def _bomb() -> bytes:
    # a PNG header claiming 100,000 x 100,000 pixels: refused from the header, nothing decoded
    out = io.BytesIO()
    Image.new("L", (1, 1)).save(out, format="PNG")
    data = bytearray(out.getvalue())
    import struct
    import zlib

    ihdr = struct.pack(">IIBBBBB", 100_000, 100_000, 8, 0, 0, 0, 0)
    start = data.index(b"IHDR")
    data[start + 4 : start + 17] = ihdr
    data[start + 17 : start + 21] = struct.pack(">I", zlib.crc32(b"IHDR" + ihdr))
    return bytes(data)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"%PDF-1.7\n...", "not a JPEG or PNG photo"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'><script/></svg>", "not a JPEG or PNG photo"),
        (b"GIF89a" + b"\x00" * 20, "not a JPEG or PNG photo"),
        (b"\xff\xd8\xff" + b"\x00" * 50, "damaged or not a JPEG or PNG photo"),
        (jpeg(exif=False) + _zip(), "data after the end of the image"),
        (png() + b"<html><script>alert(1)</script></html>", "data after the end of the image"),
        (_bomb(), "too large"),
    ],
    ids=["pdf", "svg", "gif", "truncated-jpeg", "jpeg-zip-polyglot", "png-html-polyglot", "decompression-bomb"],
)
def test_hostile_uploads_are_refused_and_nothing_is_stored(tmp_path, data, message):
    with pytest.raises(EvidenceError, match=message):
        store(tmp_path, "audit", "r1", "gr_walk_out", data)
    assert not any(tmp_path.rglob("*.*"))


def test_too_large_is_refused_before_decoding(tmp_path):
    data = jpeg()
    with pytest.raises(EvidenceError, match=f"the file has {len(data):,} bytes; a photo may have at most 100"):
        clean_image(data, max_bytes=100)


def test_pixel_cap_is_read_from_the_header():
    with pytest.raises(EvidenceError, match="the image is 64 x 48 pixels; at most 1,000 pixels"):
        clean_image(jpeg(exif=False), max_pixels=1000)


def test_store_replaces_the_earlier_photo_and_find_returns_it(tmp_path):
    first = store(tmp_path, "audit", "r1", "gr_walk_out", png())
    assert find(tmp_path, "audit", "r1", "gr_walk_out").suffix == ".png"
    second = store(tmp_path, "audit", "r1", "gr_walk_out", jpeg())
    found = find(tmp_path, "audit", "r1", "gr_walk_out")
    assert found.suffix == ".jpg" and found.read_bytes() == second.data and first.sha256 != second.sha256
    assert [p.name for p in (tmp_path / "audit" / "r1").iterdir()] == ["gr_walk_out.jpg"]


@pytest.mark.parametrize("bad", ["../etc", "a/b", "", ".hidden", "x" * 200])
def test_names_cannot_leave_the_evidence_folder(tmp_path, bad):
    with pytest.raises(EvidenceError, match="cannot name a photo"):
        store(tmp_path, "audit", bad, "item", png())
