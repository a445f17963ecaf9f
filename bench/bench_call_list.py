"""The web call list at 5M calls in one Client, paged by keyset with a bounded count, against
the API's cursor page at the same depth (goal: at most 1.5x), both as whole requests through
Django (session, middleware, rendering), as medians of alternated repetitions.

"Page 500" is reached as the User reaches it: by following `next` 499 times, on both sides; the
cursor that walk ends on is then requested repeatedly."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from bench.dataset import FIVE_MILLION_SLUG, ensure_export_client
from bench.harness import (
    Result,
    peak_rss_mib,
    rounds,
    scaled,
    seconds_of,
    settle,
)

SLUG = FIVE_MILLION_SLUG
TOTAL_CALLS = 5_000_000
DEPTH = 500
REPEATS = 31
WARMUP = 3
BATCH = 10  # requests a measure, alternated one by one with the other side's (bench.harness.rounds)


def _browser():
    from django.test import Client as HttpClient

    from accounts.models import Client, User

    client = Client.objects.get(slug=SLUG)
    email = "call-list-bench@example.com"
    # A rebuilt data set is a new Client: the reader of the one it replaced goes with it.
    User.objects.filter(email=email).exclude(client=client).delete()
    user = User.objects.filter(email=email).first() or User.objects.create_user(
        email, None, client=client, role="admin", first_name="Bench", last_name="Reader"
    )
    browser = HttpClient(SERVER_NAME="localhost")
    browser.force_login(user)
    return browser


def _web_cursor(browser, depth: int) -> tuple[str, int]:
    """The query string of the web list's page `depth` (or the last, if fewer), and its number."""
    query, reached = "", 1
    while reached < depth:
        response = browser.get("/calls/" + (f"?{query}" if query else ""))
        assert response.status_code == 200, response.status_code
        following = _link(response.content.decode(), 'rel="next"')
        if following is None:
            break
        query, reached = following, reached + 1
    return query, reached


def _link(body: str, rel: str) -> str | None:
    import html

    at = body.find(rel)
    if at < 0:
        return None
    start = body.rfind('href="?', 0, at) + len('href="?')
    return html.unescape(body[start : body.index('"', start)])


def _api_cursor(browser, depth: int) -> str:
    url, reached = "/api/v1/calls/", 1
    while reached < depth:
        following = browser.get(url).json()["next"]
        if following is None:
            break
        parts = urlsplit(following)
        url, reached = f"{parts.path}?{parts.query}", reached + 1
    return url


def run() -> list[Result]:
    total = scaled(TOTAL_CALLS, 10_000)
    ensure_export_client(total, SLUG)
    settle("accounts_client", "calls_trackingnumber", "calls_contact", "calls_call")
    browser = _browser()
    depth = min(DEPTH, total // 50)
    web_deep, reached = _web_cursor(browser, depth)
    api_deep = _api_cursor(browser, reached)

    def get(url: str):
        def request() -> None:
            response = browser.get(url)
            assert response.status_code == 200, response.status_code

        return seconds_of(request)

    first_count = browser.get("/calls/").content.decode()
    count_text = first_count.split('id="calls-count">', 1)[1].split("<", 1)[0]
    results = []
    for label, web_url, api_url in (
        ("first page", "/calls/", "/api/v1/calls/"),
        (f"page {reached}", f"/calls/?{web_deep}", api_deep),
    ):
        measured = rounds(
            {"web": get(web_url), "api": get(api_url)}, REPEATS, warmup=WARMUP, batch=BATCH
        )
        ours, limit = measured["web"], measured["api"]
        results.append(
            Result.measured(
                name=f"web call list, {label} of {total:,} calls vs the API's cursor page",
                ours=ours.map(lambda seconds: seconds * 1000),
                limit=limit.map(lambda seconds: seconds * 1000),
                unit="ms",
                goal="≤ 1.5",
                higher_is_better=False,
                notes=[
                    f"{REPEATS} rounds of {BATCH} requests a side, alternated one by one, after "
                    f"{WARMUP} warm-up rounds; whole requests through Django (session, middleware, "
                    "HTML vs JSON)",
                    f"page {reached} reached by following next {reached - 1} times on both sides",
                    f"the page says {count_text!r}",
                    f"peak RSS {peak_rss_mib():.0f} MiB",
                ],
                paired=True,
            )
        )
    results.append(_queries_only(reached, web_deep, api_deep, total))
    return results


def _queries_only(depth: int, web_query: str, api_url: str, total: int) -> Result:
    """The deep page's reads alone: our keyset page and bounded count against DRF's cursor page
    on the same selector, without rendering (HTML vs JSON) or the request around them."""
    from django.test import RequestFactory
    from rest_framework.request import Request

    from accounts.models import Client
    from calls import selectors
    from calls.api import CallCursorPagination
    from calls.filters import CallFilters
    from calls.pagination import Cursor, call_count, call_page

    client = Client.objects.get(slug=SLUG)
    cursor = Cursor.decode(parse_qs(web_query)["cursor"][0], sort="newest") if web_query else None
    api_request = Request(RequestFactory(SERVER_NAME="localhost").get(api_url))

    def ours() -> None:
        calls = selectors.call_list_page_rows(client=client, filters=CallFilters())
        call_page(calls, sort="newest", cursor=cursor, size=50)
        unrestricted = selectors.call_list(
            client=client, filters=CallFilters(), include_restricted=True
        )
        call_count(
            selectors.call_list(client=client, filters=CallFilters()), unrestricted=unrestricted
        )

    def theirs() -> None:
        calls = selectors.call_list(client=client, filters=CallFilters())
        CallCursorPagination().paginate_queryset(calls, api_request)

    measured = rounds(
        {"ours": seconds_of(ours), "theirs": seconds_of(theirs)},
        REPEATS,
        warmup=WARMUP,
        batch=BATCH,
    )
    mine, limit = measured["ours"], measured["theirs"]
    return Result.measured(
        name=f"call list reads alone, page {depth} of {total:,} calls (keyset page + bounded "
        "count) vs the API's cursor page",
        ours=mine.map(lambda seconds: seconds * 1000),
        limit=limit.map(lambda seconds: seconds * 1000),
        unit="ms",
        goal="≤ 1.5",
        higher_is_better=False,
        notes=[
            f"{REPEATS} rounds of {BATCH} calls a side, alternated one by one, after {WARMUP} "
            "warm-up rounds; the selector and the page's "
            "rows (ours: named rows of the columns the page shows; theirs: Calls) and, on our "
            "side, the count (at most 10,001 index entries, then the planner's estimate)",
        ],
        paired=True,
    )
