"""A real S3 API on the loopback for the object-storage tests: moto in server mode.

Loaded as a plugin by the tests that need it (`pytest_plugins`). One `moto_server`
process serves the session on a free port (its own process, so the objects it keeps
never count in the memory the tests measure); each test that asks for `s3` gets a new
bucket and the product's STORAGES pointing django-storages at it.
"""

import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config

from videos.tests.processes import free_port

ACCESS_KEY = "test"
SECRET_KEY = "test"
REGION = "us-east-1"


@dataclass
class S3Server:
    endpoint: str

    def client(self) -> Any:
        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY,
            region_name=REGION,
            config=Config(s3={"addressing_style": "path"}),
        )


@dataclass
class Bucket:
    server: S3Server
    name: str
    client: Any

    def keys(self, prefix: str = "") -> list[str]:
        listing = self.client.list_objects_v2(Bucket=self.name, Prefix=prefix)
        return sorted(entry["Key"] for entry in listing.get("Contents", []))

    def size(self, key: str) -> int:
        return self.client.head_object(Bucket=self.name, Key=key)["ContentLength"]

    def read(self, key: str) -> bytes:
        return self.client.get_object(Bucket=self.name, Key=key)["Body"].read()

    def storage_options(self, **extra: Any) -> dict[str, Any]:
        """STORAGE_OPTIONS as an operator would write them for this bucket."""
        return {
            "bucket_name": self.name,
            "endpoint_url": self.server.endpoint,
            "access_key": ACCESS_KEY,
            "secret_key": SECRET_KEY,
            "region_name": REGION,
            "addressing_style": "path",
            "default_acl": "private",
            **extra,
        }


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3Server]:
    """moto's S3 server on a free loopback port, for the whole session."""
    port = free_port()
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "moto_server"), "-H", "127.0.0.1"]
        + ["-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    server = S3Server(f"http://127.0.0.1:{port}")
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                server.client().list_buckets()
                break
            except Exception:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        yield server
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def s3(s3_server: S3Server, settings) -> Bucket:
    """A fresh bucket, with the default storage set to django-storages' S3 backend on it."""
    from sora_site.object_storage import storage_options

    name = f"sora-{uuid.uuid4().hex[:12]}"
    client = s3_server.client()
    client.create_bucket(Bucket=name)
    bucket = Bucket(s3_server, name, client)
    backend = "storages.backends.s3.S3Storage"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": backend,
            "OPTIONS": storage_options(backend, bucket.storage_options()),
        },
    }
    settings.STORAGE_PRESIGNED_SECONDS = 300
    return bucket
