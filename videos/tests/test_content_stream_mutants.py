"""An open download from the host when its body is empty: found by `make mutants`.

`peek()` promises b"" for an empty body (the archive and the content view peek at
images to check what they are); an empty body must neither raise nor yield a chunk.
Against the emulator over HTTP, which serves an empty MP4 when told to.
"""

from videos import sora


def test_an_empty_body_peeks_as_empty_and_yields_nothing(emulator):
    emulator.configure(content_bytes=0)
    video = sora.submit_video(
        prompt="Nothing at all", model="sora-2", size="1280x720", seconds=4
    )
    emulator.complete(video.id)
    stream = sora.open_content(video.id, model="sora-2")
    assert stream.status_code == 200
    assert stream.content_length == 0
    assert stream.peek() == b""
    assert stream.peek() == b""  # asked again: still empty, nothing read twice
    assert list(stream) == []
