"""The shipped gunicorn settings (sora_site/gunicorn.py): shape and worker start-up."""

import gc
import importlib

from sora_site import gunicorn as gunicorn_config


def reloaded(monkeypatch, **env: str):
    for name in ("WEB_CONCURRENCY", "GUNICORN_THREADS", "GUNICORN_TIMEOUT"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return importlib.reload(gunicorn_config)


def test_four_processes_of_four_threads_by_default(monkeypatch):
    config = reloaded(monkeypatch)
    assert config.worker_class == "gthread"
    assert (config.workers, config.threads) == (4, 4)


def test_the_shape_comes_from_the_environment(monkeypatch):
    config = reloaded(monkeypatch, WEB_CONCURRENCY="8", GUNICORN_THREADS="2")
    assert (config.workers, config.threads) == (8, 2)
    reloaded(monkeypatch)


def test_a_started_worker_leaves_what_it_loaded_out_of_collections():
    before = gc.get_freeze_count()
    try:
        gunicorn_config.post_worker_init(worker=None)
        frozen = gc.get_freeze_count()
        assert frozen > before + 10_000  # Django and the project, as loaded here
        garbage = [[] for _ in range(1000)]
        assert gc.get_freeze_count() == frozen  # new objects are collected as ever
        del garbage
    finally:
        gc.unfreeze()  # the test process goes on collecting everything
