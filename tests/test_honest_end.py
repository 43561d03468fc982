"""How a crawl ends: every account in a known state, exit codes that tell the truth, and logs without
secrets. The middlewares and the summary are called directly here; tests/test_faults.py runs whole crawls."""

from __future__ import annotations

import logging

import pytest
import scrapy
from scrapy.exceptions import IgnoreRequest
from scrapy.http import HtmlResponse, Request, TextResponse
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from conftest import make_spider
from crawler.basespider import InvalidAnswer
from crawler.extensions import redact, redact_record
from crawler.middlewares import (AnswerCheckMiddleware, BudgetSpent, CallbackFailureMiddleware,
                                 RedirectLoopMiddleware)
from crawler.run import CrawlSummary
from crawler.spiders.telegram import TelegramSpider


@pytest.fixture
def spider():
    return make_spider(TelegramSpider, seeds=["alpha_news"])


def failure_of(exception, handle="alpha_news", **meta) -> Failure:
    try:
        raise exception
    except Exception:
        failure = Failure()
    failure.request = Request("https://t.me/s/alpha_news", meta={"handle": handle, **meta})
    return failure


def test_http_error_after_retries_marks_the_account(spider):
    response = HtmlResponse("https://t.me/s/alpha_news", status=503, body=b"")
    [account] = spider.on_error(failure_of(HttpError(response), retry_times=4))
    assert (account.status, account.reason) == ("unavailable", "HTTP 503 after 4 retries")


def test_redirect_loop_marks_the_account(spider):
    [account] = spider.on_error(failure_of(IgnoreRequest("redirect loop")))
    assert account.reason.startswith("redirect loop")


def test_invalid_answer_marks_the_account_with_what_was_wrong(spider):
    [account] = spider.on_error(failure_of(InvalidAnswer("expected JSON, got text/html")))
    assert account.reason == "invalid answer: expected JSON, got text/html"


def test_an_account_the_budget_stopped_is_listed_as_not_fetched(spider):
    assert list(spider.on_error(failure_of(BudgetSpent("spent")))) == []
    assert spider.crawler.stats.get_value("pagescout/not_fetched/alpha_news") == "request budget (--max-requests) spent"


def response_for(body: bytes, content_type: str, kind: str | None = None, cls=TextResponse):
    request = Request("https://t.me/s/alpha_news", meta={"handle": "alpha_news", **({"answer_kind": kind} if kind else {})})
    return cls("https://t.me/s/alpha_news", body=body, headers={"Content-Type": content_type}, request=request,
               encoding="utf-8")


@pytest.mark.parametrize("body,content_type,kind,reason", [
    (b"", "text/html", None, "empty answer"),
    (b'{"ok": true}', "application/json", None, "expected HTML, got JSON"),
    (b"<html></html>", "text/html", "json", "expected JSON, got text/html"),
    (b"plain words", "text/plain", "xml", "expected XML, got text/plain"),
])
def test_answer_of_the_wrong_kind_is_refused_before_the_callback(spider, body, content_type, kind, reason):
    check = AnswerCheckMiddleware(spider.crawler)
    with pytest.raises(InvalidAnswer, match=reason):
        check.process_spider_input(response_for(body, content_type, kind))


def test_answer_of_the_right_kind_passes(spider):
    check = AnswerCheckMiddleware(spider.crawler)
    assert check.process_spider_input(response_for(b"<html><body>hi</body></html>", "text/html", cls=HtmlResponse)) is None
    assert check.process_spider_input(response_for(b'{"a": 1}', "application/json", "json")) is None


def test_callback_exception_marks_the_account_and_is_counted(spider, caplog):
    failing = CallbackFailureMiddleware(spider.crawler)
    response = response_for(b"<html></html>", "text/html", cls=HtmlResponse)
    with caplog.at_level(logging.ERROR):
        [account] = failing.process_spider_exception(response, TypeError("unhashable"))
    assert account.status == "unavailable" and account.reason == "invalid answer (parser error: TypeError)"
    assert spider.crawler.stats.get_value("pagescout/errors/callback") == 1
    assert "TypeError at " in caplog.text  # where it failed goes to the log (the log file, in a real crawl)…
    assert "unhashable" not in caplog.text  # …but not the exception's text, which can quote the answer


def test_redirect_back_to_a_visited_url_is_a_loop_even_with_a_key_echoed_back():
    loop = RedirectLoopMiddleware()
    request = Request("https://api.vk.com/method/groups.getById?group_id=x&v=5.199",
                      meta={"redirect_urls": ["https://api.vk.com/method/groups.getById?group_id=y&v=5.199"]})
    back = scrapy.http.Response(request.url, status=302, headers={
        "Location": "https://api.vk.com/method/groups.getById?group_id=y&v=5.199&access_token=SECRET"})
    with pytest.raises(IgnoreRequest, match="redirect loop"):
        loop.process_response(request, back)
    elsewhere = scrapy.http.Response(request.url, status=302, headers={"Location": "/method/groups.getById?group_id=z"})
    assert loop.process_response(request, elsewhere) is elsewhere
    # followed even where another request fetched z before: the duplicate filter would drop it silently
    assert request.dont_filter


@pytest.mark.parametrize("summary,code", [
    (CrawlSummary("finished", 3, {"Account": 1}, {}), 0),
    (CrawlSummary("finished", 3, {"Account": 1}, {}, refused={"Post": 2}), 1),
    (CrawlSummary("finished", 3, {"Account": 1}, {}, callback_failures=1), 1),
    (CrawlSummary("shutdown", 3, {"Account": 1}, {}, resumable=True), 130),
])
def test_exit_code_tells_whether_anything_fetched_was_lost(summary, code):
    assert summary.exit_code == code
    assert (summary.problem() is not None) == (code == 1)


@pytest.mark.parametrize("message", [
    "Got data loss in https://api.vk.com/method/wall.get?owner_id=-1&access_token=vk1.a.SECRET. If you want",
    "Expected to receive 6000000 bytes which is larger than download warn size (5242880) in request "
    "<GET https://www.googleapis.com/youtube/v3/videos?part=statistics&key=AIzaSECRET>.",
    "Gave up retrying <GET https://x.example/api?token=SECRET&a=1> (failed 5 times)",
])
def test_log_records_are_redacted(message):
    record = redact_record(logging.LogRecord("scrapy", logging.WARNING, __file__, 1, "%s", (message,), None))
    assert "SECRET" not in record.getMessage() and "***" in record.getMessage()


def test_tracebacks_in_log_records_are_redacted():
    try:
        raise ValueError("download of https://api.vk.com/method/x?access_token=SECRET failed")
    except ValueError:
        import sys

        record = logging.LogRecord("scrapy", logging.ERROR, __file__, 1, "failed", (), sys.exc_info())
    assert "SECRET" not in logging.Formatter().format(redact_record(record))


def test_redact_keeps_other_parameters():
    assert redact("https://h/x?monkey=1&key=abc&keys=2") == "https://h/x?monkey=1&key=***&keys=2"


def test_a_bug_is_one_line_on_the_terminal_and_its_traceback_in_the_log(tmp_path, monkeypatch):
    from commands import shortlist
    from conftest import invoke

    def broken(*args, **kwargs):
        raise KeyError("https://api.vk.com/method/wall.get?access_token=SECRET")

    monkeypatch.setattr(shortlist, "ranked_pages", broken)
    db = tmp_path / "p.db"
    result = invoke("rank", "--db", db)
    assert result.exit_code == 1
    assert len(result.output.strip().splitlines()) == 1 and "Traceback" not in result.output
    assert "KeyError" in result.output and f"{db}.log" in result.output
    log = (tmp_path / "p.db.log").read_text(encoding="utf-8")
    assert "Traceback" in log and "SECRET" not in log
