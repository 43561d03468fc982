"""The token/key middleware: the secret is in the URL for the download only, never in what is kept."""

from __future__ import annotations

import pickle

import pytest
from scrapy.http import Request, TextResponse

from crawler.apikeys import ApiKeyMiddleware, scrub, without_param

URL = "https://api.vk.com/method/wall.get?owner_id=-1&count=100&v=5.199"


@pytest.fixture
def middleware(monkeypatch):
    monkeypatch.setenv("VK_TOKEN", "vk1.secret")
    monkeypatch.setenv("YOUTUBE_API_KEY", "AIza-secret")
    return ApiKeyMiddleware()


def test_token_added_for_the_download(middleware):
    request = Request(URL, meta={"api_key": "vk"})
    middleware.process_request(request)
    assert request.url == URL + "&access_token=vk1.secret"


def test_token_removed_from_request_and_response(middleware):
    request = Request(URL, meta={"api_key": "vk"})
    middleware.process_request(request)
    response = TextResponse(url=request.url, body=b"{}", request=request)
    response = middleware.process_response(request, response)
    assert request.url == URL and response.url == URL
    assert b"secret" not in pickle.dumps(request.to_dict())  # what the job folder would keep


def test_token_removed_after_a_failure(middleware):
    request = Request(URL, meta={"api_key": "vk"})
    middleware.process_request(request)
    middleware.process_exception(request, TimeoutError())
    assert request.url == URL


def test_youtube_key_and_unmarked_requests(middleware):
    marked = Request("https://www.googleapis.com/youtube/v3/channels?id=UC1", meta={"api_key": "youtube"})
    middleware.process_request(marked)
    assert marked.url.endswith("&key=AIza-secret")
    plain = Request("https://t.me/s/durov")
    middleware.process_request(plain)
    assert plain.url == "https://t.me/s/durov"


def test_scrub_and_without_param(middleware):
    assert scrub("failed for access_token=vk1.secret&v=5 (vk1.secret)") == "failed for access_token=***&v=5 (***)"
    assert without_param(URL + "&access_token=x", "access_token") == URL


def test_download_errors_lose_the_token_from_their_message(middleware):
    from scrapy.exceptions import DownloadTimeoutError

    request = Request(URL, meta={"api_key": "vk"})
    middleware.process_request(request)
    error = DownloadTimeoutError(f"Getting {request.url} took longer than 30 seconds.")
    middleware.process_exception(request, error)
    assert "vk1.secret" not in str(error) and "access_token=***" in str(error)
