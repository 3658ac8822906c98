"""Small helpers for the videos app's tests."""

import io
import time
from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

SAMPLES = Path(__file__).resolve().parents[1] / "emulator" / "samples"


def image_upload(
    width: int, height: int, fmt: str = "PNG", name: str = "ref.png"
) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (40, 90, 160)).save(buffer, format=fmt)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def wait_until(predicate, *, timeout: float = 10.0, interval: float = 0.05):
    """Poll `predicate` until it returns something truthy; fail after `timeout`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s")
