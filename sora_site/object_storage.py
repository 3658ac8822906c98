"""Settings for S3-compatible object storage (django-storages), kept out of settings.py.

Two things the environment's JSON (`STORAGE_OPTIONS`) cannot say or should not have to:

- **Upload memory.** An archived video is streamed from the host into the bucket as a
  multipart upload (boto3's `upload_fileobj`, which django-storages' save calls). Its
  defaults keep up to 10 parts of 8 MiB in memory per upload; ours keep 2, so memory
  stays flat (well under 64 MB) whatever the video's size. Reading the storage's own
  file object would download a whole object into memory, so it spills to disk past
  8 MiB (`max_memory_size`); our code reads in ranges anyway (videos/storage_urls.py).
- **The Content-Security-Policy.** With signed URLs the player and the pictures load
  from the bucket's origin, which `media-src` and `img-src` must allow.
"""

from typing import Any
from urllib.parse import urlsplit

S3_BACKENDS = (
    "storages.backends.s3.S3Storage",
    "storages.backends.s3boto3.S3Boto3Storage",
)
PART_SIZE = 8 * 1024 * 1024
"""Bytes per multipart part (S3 wants at least 5 MiB; 10,000 parts make 80 GiB)."""
PARTS_IN_MEMORY = 2
"""Parts read ahead of the upload at most: the upload's memory is this many parts."""
SPOOL_BYTES = 8 * 1024 * 1024


def is_s3(backend: str) -> bool:
    return backend in S3_BACKENDS


def storage_options(backend: str, options: dict[str, Any]) -> dict[str, Any]:
    """The backend's options with our upload and spooling defaults for S3 added.

    Anything set in `STORAGE_OPTIONS` wins; other backends get their options unchanged.
    """
    if not is_s3(backend):
        return options
    from boto3.s3.transfer import TransferConfig

    transfer = TransferConfig(
        multipart_threshold=PART_SIZE,
        multipart_chunksize=PART_SIZE,
        max_concurrency=PARTS_IN_MEMORY,
    )
    # Not a TransferConfig argument, but read by the transfer manager: how many parts
    # of a non-seekable upload (our archive stream) may wait in memory.
    transfer.max_in_memory_upload_chunks = PARTS_IN_MEMORY
    return {
        "transfer_config": transfer,
        "max_memory_size": SPOOL_BYTES,
        # Signed URLs in SigV4 (X-Amz-Expires): every region and S3-compatible store
        # takes it; the older query signing is refused by newer AWS regions.
        "signature_version": "s3v4",
        **options,
    }


def public_origins(backend: str, options: dict[str, Any], explicit: str) -> list[str]:
    """The origins a browser fetches stored files from, for the CSP's source lists.

    `explicit` (STORAGE_PUBLIC_ORIGIN, space-separated) wins; else the custom domain or
    the endpoint of an S3-compatible store; else AWS's own hosts for the bucket. Empty
    for storages whose files Django serves itself.
    """
    if explicit:
        return explicit.split()
    if not is_s3(backend):
        return []
    if domain := options.get("custom_domain"):
        return [f"https://{domain}"]
    if endpoint := options.get("endpoint_url"):
        parts = urlsplit(endpoint)
        return [f"{parts.scheme}://{parts.netloc}"]
    bucket = options.get("bucket_name", "")
    if not bucket:
        return []
    origins = [f"https://{bucket}.s3.amazonaws.com"]
    if region := options.get("region_name"):
        origins.append(f"https://{bucket}.s3.{region}.amazonaws.com")
    return origins
