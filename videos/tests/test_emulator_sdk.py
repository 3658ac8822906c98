"""The real `openai` SDK against the emulator: proof that it speaks the SDK's wire format.

One journey through videos/emulator/videos_api.py as the SDK sees it (create, retrieve,
download with a variant and a Range, list, a 404 and a moderation refusal), framed by
server.py and wire.py; every other emulator test speaks raw HTTP (emulator_http.py).
"""

import openai
import pytest

from videos.tests.emulator_http import API_KEY, clip_bytes


@pytest.mark.filterwarnings("ignore:The Sora API is scheduled:DeprecationWarning")
def test_the_openai_sdk_can_create_retrieve_and_download(emulator, emulator_server):
    client = openai.OpenAI(base_url=emulator.base_url, api_key=API_KEY, max_retries=0)

    created = client.videos.create(
        prompt="A paper boat on a stream", size="1280x720", seconds="8"
    )
    assert created.status == "queued"
    emulator.complete(created.id)
    video = client.videos.retrieve(created.id)
    with client.videos.with_streaming_response.download_content(created.id) as response:
        headers = response.headers
        body = b"".join(response.iter_bytes(64 * 1024))
    with client.videos.with_streaming_response.download_content(
        created.id, variant="thumbnail", extra_headers={"Range": "bytes=0-15"}
    ) as response:
        status, start = response.status_code, response.read()
    page = client.videos.list(limit=1)

    assert video.status == "completed"
    assert (video.size, video.seconds, video.progress) == ("1280x720", "8", 100)
    assert headers["content-type"] == "video/mp4"
    assert body == clip_bytes(emulator_server, size="1280x720", seconds="8")
    thumbnail = clip_bytes(emulator_server, "thumbnail", size="1280x720", seconds="8")
    assert (status, start) == (206, thumbnail[:16])
    assert [v.id for v in page.data] == [created.id]
    with pytest.raises(openai.NotFoundError):
        client.videos.retrieve("video_nope")
    with pytest.raises(openai.BadRequestError) as refused:
        client.videos.create(prompt="[refuse]")
    assert refused.value.code == "moderation_blocked"
