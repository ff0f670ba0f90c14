"""The Meta adapter against a respx fake of the Graph API, with payloads in the shapes Meta documents."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from urllib.parse import parse_qs

import httpx
import pytest
import respx

from ads.platforms import base
from ads.platforms.meta import GRAPH, GRAPH_VERSION, MetaAdsAdapter, from_minor, map_error, to_minor

ACT = "act_1234567890"


@pytest.fixture
def meta_env(monkeypatch):
    monkeypatch.setenv("META_APP_ID", "779794021555530")
    monkeypatch.setenv("META_APP_SECRET", "app-secret")


@pytest.fixture
def sleeps():
    return []


@pytest.fixture
def adapter(meta_env, sleeps):
    return MetaAdsAdapter(sleep=sleeps.append)


def graph_error(code: int, *, subcode: int | None = None, transient: bool = False, status: int = 400, headers=None):
    error = {"message": f"error {code}", "type": "OAuthException", "code": code, "fbtrace_id": "AbC"}
    if subcode:
        error["error_subcode"] = subcode
        error["error_user_title"] = "Budget too low"
        error["error_user_msg"] = "Your budget is too low."
    if transient:
        error["is_transient"] = True
    return httpx.Response(status, json={"error": error}, headers=headers or {})


def test_money_converts_to_and_from_minor_units_per_currency():
    assert to_minor(Decimal("25.50"), "USD") == 2550
    assert to_minor(Decimal("1000"), "JPY") == 1000
    assert from_minor("2550", "USD") == Decimal("25.50")
    assert from_minor("1000", "JPY") == Decimal("1000")
    assert from_minor(None, "USD") is None


@respx.mock
def test_exchange_code_gets_a_long_lived_token_and_every_ad_account_across_pages(adapter):
    token_route = respx.get(f"{GRAPH}/oauth/access_token").mock(
        side_effect=[
            httpx.Response(200, json={"access_token": "short", "token_type": "bearer", "expires_in": 5183}),
            httpx.Response(200, json={"access_token": "long", "token_type": "bearer", "expires_in": 5183944}),
        ]
    )
    respx.get(f"{GRAPH}/me").mock(return_value=httpx.Response(200, json={"id": "10158"}))
    accounts = respx.get(f"{GRAPH}/me/adaccounts").mock(
        side_effect=[
            httpx.Response(
                200,
                json={
                    "data": [
                        {
                            "account_id": "111",
                            "id": "act_111",
                            "name": "Shop",
                            "currency": "USD",
                            "timezone_name": "America/New_York",
                            "account_status": 1,
                            "business": {"name": "Shop Inc"},
                        },
                    ],
                    "paging": {
                        "cursors": {"before": "QVFI", "after": "QVFIUm"},
                        "next": f"{GRAPH}/me/adaccounts?access_token=long&limit=100&after=QVFIUm",
                    },
                },
            ),
            httpx.Response(
                200,
                json={
                    "data": [
                        {
                            "account_id": "222",
                            "id": "act_222",
                            "name": "Old",
                            "currency": "EUR",
                            "timezone_name": "Europe/Berlin",
                            "account_status": 2,
                        }
                    ],
                    "paging": {"cursors": {"before": "QVFJ", "after": "QVFJX"}},
                },
            ),
        ]
    )
    grant = adapter.exchange_code(code="the-code", redirect_uri="https://api.example/cb")
    assert grant.access_token == "long" and grant.external_user_id == "10158"
    assert [(a.external_id, a.currency, a.status) for a in grant.accounts] == [
        ("act_111", "USD", "active"),
        ("act_222", "EUR", "disabled"),
    ]
    first = parse_qs(token_route.calls[0].request.url.query.decode())
    assert first["code"] == ["the-code"] and first["redirect_uri"] == ["https://api.example/cb"]
    second_page = parse_qs(accounts.calls[1].request.url.query.decode())
    assert second_page["after"] == ["QVFIUm"]
    assert "appsecret_proof" in second_page  # every Graph call proves the app secret


def test_authorize_url_asks_for_the_ads_scopes(adapter):
    url = adapter.authorize_url(redirect_uri="https://api.example/cb", state="s1")
    query = parse_qs(url.split("?", 1)[1])
    assert url.startswith(f"https://www.facebook.com/{GRAPH_VERSION}/dialog/oauth")
    assert {"ads_management", "ads_read", "business_management"} <= set(query["scope"][0].split(","))
    assert query["state"] == ["s1"] and query["client_id"] == ["779794021555530"]


CAMPAIGN = {
    "id": "120210000001",
    "name": "Spring",
    "objective": "OUTCOME_TRAFFIC",
    "status": "ACTIVE",
    "effective_status": "ACTIVE",
    "daily_budget": "2500",
    "special_ad_categories": [],
    "created_time": "2026-03-01T10:00:00+0000",
    "updated_time": "2026-03-02T11:30:00+0000",
}
ADSET = {
    "id": "120210000002",
    "name": "Spring set",
    "campaign_id": "120210000001",
    "status": "ACTIVE",
    "effective_status": "ACTIVE",
    "optimization_goal": "LINK_CLICKS",
    "billing_event": "IMPRESSIONS",
    "targeting": {"geo_locations": {"countries": ["US"]}, "age_min": 18},
    "created_time": "2026-03-01T10:00:00+0000",
    "updated_time": "2026-03-01T10:00:00+0000",
}
AD = {
    "id": "120210000004",
    "name": "Spring ad",
    "campaign_id": "120210000001",
    "adset_id": "120210000002",
    "creative": {"id": "120210000003"},
    "status": "PAUSED",
    "effective_status": "CAMPAIGN_PAUSED",
    "created_time": "2026-03-01T10:00:00+0000",
    "updated_time": "2026-03-01T10:00:00+0000",
}
CREATIVE = {
    "id": "120210000003",
    "name": "Spring creative",
    "status": "ACTIVE",
    "object_story_spec": {"page_id": "173764419345388", "link_data": {"link": "https://example.com"}},
}


def batch_answer(*bodies):
    return httpx.Response(200, json=[{"code": 200, "body": json.dumps(b)} for b in bodies])


@respx.mock
def test_first_pull_batches_the_four_first_pages_and_follows_after_cursors(adapter):
    batch = respx.post(f"{GRAPH}/").mock(
        return_value=batch_answer(
            {
                "data": [CAMPAIGN],
                "paging": {"cursors": {"after": "c1"}, "next": f"{GRAPH}/{ACT}/campaigns?limit=500&after=c1"},
            },
            {"data": [ADSET], "paging": {"cursors": {"after": "x"}}},
            {"data": [AD]},
            {"data": [CREATIVE]},
        )
    )
    second = respx.get(f"{GRAPH}/{ACT}/campaigns").mock(
        return_value=httpx.Response(200, json={"data": [{**CAMPAIGN, "id": "120210000009", "daily_budget": None}]})
    )
    snapshot = adapter.pull("tok", ACT, since=None, currency="USD")
    assert [c.remote_id for c in snapshot.campaigns] == ["120210000001", "120210000009"]
    assert snapshot.campaigns[0].fields["daily_budget"] == Decimal("25.00")
    assert snapshot.campaigns[0].updated_at == datetime(2026, 3, 2, 11, 30, tzinfo=UTC)
    assert snapshot.ad_sets[0].fields["campaign_remote_id"] == "120210000001"
    assert snapshot.ads[0].fields["creative_remote_id"] == "120210000003"
    assert snapshot.creatives[0].fields["object_story_spec"]["page_id"] == "173764419345388"
    sent = parse_qs(batch.calls[0].request.content.decode())
    requests = json.loads(sent["batch"][0])
    assert [r["relative_url"].split("?")[0] for r in requests] == [
        f"{ACT}/campaigns",
        f"{ACT}/adsets",
        f"{ACT}/ads",
        f"{ACT}/adcreatives",
    ]
    assert "fields=id,name,objective" in requests[0]["relative_url"]
    assert parse_qs(second.calls[0].request.url.query.decode())["after"] == ["c1"]
    assert adapter.requests_made == 2


@respx.mock
def test_incremental_pull_filters_on_updated_time_and_looks_creatives_up_by_id(adapter):
    batch = respx.post(f"{GRAPH}/").mock(return_value=batch_answer({"data": []}, {"data": []}, {"data": [AD]}))
    lookup = respx.get(f"{GRAPH}/").mock(return_value=httpx.Response(200, json={"120210000003": CREATIVE}))
    since = datetime(2026, 3, 1, tzinfo=UTC)
    snapshot = adapter.pull("tok", ACT, since=since, currency="USD")
    requests = json.loads(parse_qs(batch.calls[0].request.content.decode())["batch"][0])
    assert len(requests) == 3
    assert all(f'"value":{int(since.timestamp())}' in r["relative_url"] for r in requests)
    assert parse_qs(lookup.calls[0].request.url.query.decode())["ids"] == ["120210000003"]
    assert [c.remote_id for c in snapshot.creatives] == ["120210000003"]


@respx.mock
def test_insights_ask_for_daily_rows_with_level_range_and_breakdown(adapter):
    route = respx.get(f"{GRAPH}/{ACT}/insights").mock(
        return_value=httpx.Response(
            200,
            json={
                "data": [
                    {
                        "campaign_id": "120210000001",
                        "impressions": "1000",
                        "reach": "800",
                        "clicks": "30",
                        "spend": "12.34",
                        "cpm": "12.34",
                        "cpc": "0.411333",
                        "ctr": "3",
                        "age": "25-34",
                        "actions": [{"action_type": "link_click", "value": "28"}],
                        "date_start": "2026-03-01",
                        "date_stop": "2026-03-01",
                    },
                ]
            },
        )
    )
    rows = list(
        adapter.insights(
            "tok",
            ACT,
            level="campaign",
            since=date(2026, 3, 1),
            until=date(2026, 3, 7),
            breakdown="age",
            ids=["120210000001"],
        )
    )
    params = parse_qs(route.calls[0].request.url.query.decode())
    assert params["level"] == ["campaign"] and params["time_increment"] == ["1"] and params["breakdowns"] == ["age"]
    assert json.loads(params["time_range"][0]) == {"since": "2026-03-01", "until": "2026-03-07"}
    assert json.loads(params["filtering"][0])[0]["field"] == "campaign.id"
    row = rows[0]
    assert (row.object_id, row.day, row.spend, row.breakdown_value) == (
        "120210000001",
        date(2026, 3, 1),
        Decimal("12.34"),
        "25-34",
    )
    assert row.actions == {"link_click": Decimal("28")}


@respx.mock
def test_create_sends_budgets_in_minor_units_and_json_encodes_nested_fields(adapter):
    route = respx.post(f"{GRAPH}/{ACT}/campaigns").mock(return_value=httpx.Response(200, json={"id": "1202"}))
    remote_id = adapter.create(
        "tok",
        ACT,
        "campaign",
        {
            "name": "X",
            "objective": "OUTCOME_TRAFFIC",
            "status": "PAUSED",
            "special_ad_categories": [],
            "daily_budget": Decimal("25.00"),
            "special_ad_category_country": None,
        },
        currency="USD",
    )
    form = parse_qs(route.calls[0].request.content.decode())
    assert remote_id == "1202"
    assert form["daily_budget"] == ["2500"] and form["special_ad_categories"] == ["[]"]
    assert "special_ad_category_country" not in form


@respx.mock
def test_set_status_reads_back_what_meta_holds(adapter):
    respx.post(f"{GRAPH}/1202").mock(return_value=httpx.Response(200, json={"success": True}))
    respx.get(f"{GRAPH}/1202").mock(
        return_value=httpx.Response(200, json={"id": "1202", "status": "PAUSED", "effective_status": "PAUSED"})
    )
    assert adapter.set_status("tok", "1202", "PAUSED") == ("PAUSED", "PAUSED")


@respx.mock
def test_targeting_search_and_leads_use_the_documented_endpoints(adapter):
    search = respx.get(f"{GRAPH}/search").mock(
        return_value=httpx.Response(
            200,
            json={
                "data": [
                    {
                        "key": "2490299",
                        "name": "New York",
                        "type": "city",
                        "country_code": "US",
                        "country_name": "United States",
                        "region": "New York",
                        "region_id": 3875,
                    }
                ]
            },
        )
    )
    results = adapter.search_targeting("tok", ACT, kind="location", query="New York")
    assert results[0]["id"] == "2490299" and results[0]["type"] == "city"
    assert parse_qs(search.calls[0].request.url.query.decode())["type"] == ["adgeolocation"]

    leads = respx.get(f"{GRAPH}/555/leads").mock(
        return_value=httpx.Response(
            200,
            json={
                "data": [
                    {
                        "created_time": "2026-03-01T10:00:00+0000",
                        "id": "777",
                        "ad_id": "1204",
                        "form_id": "555",
                        "field_data": [{"name": "email", "values": ["a@example.com"]}],
                    }
                ]
            },
        )
    )
    found = list(adapter.leads("page-token", "555", since=datetime(2026, 2, 1, tzinfo=UTC)))
    assert found[0].field_data == {"email": "a@example.com"}
    assert "time_created" in parse_qs(leads.calls[0].request.url.query.decode())["filtering"][0]


@pytest.mark.parametrize("code", [4, 17, 32, 613, 80004])
def test_throttling_codes_become_rate_limits_with_the_time_to_regain_access(code):
    usage = {
        "1234": [
            {
                "type": "ads_management",
                "call_count": 100,
                "total_cputime": 25,
                "total_time": 25,
                "estimated_time_to_regain_access": 7,
            }
        ]
    }
    response = graph_error(code, headers={"X-Business-Use-Case-Usage": json.dumps(usage)})
    error = map_error(response.status_code, response.json(), response.headers)
    assert isinstance(error, base.RateLimited) and error.retry_after == 420


def test_rate_limit_without_usage_headers_falls_back_to_the_ad_account_usage_reset():
    response = graph_error(
        17, headers={"X-Ad-Account-Usage": json.dumps({"acc_id_util_pct": 100, "reset_time_duration": 90})}
    )
    assert map_error(400, response.json(), response.headers).retry_after == 90


@pytest.mark.parametrize(
    ("response", "expected"),
    [
        (graph_error(190, status=401), base.AuthExpired),
        (graph_error(200, status=403), base.PermissionMissing),
        (graph_error(100, subcode=33), base.NotFound),
        (graph_error(100, subcode=1885272), base.InvalidRequest),
        (graph_error(2, transient=True, status=500), base.TemporaryError),
    ],
)
def test_graph_errors_are_classified(response, expected):
    assert type(map_error(response.status_code, response.json(), response.headers)) is expected


def test_invalid_request_carries_the_users_message():
    response = graph_error(100, subcode=1885272)
    error = map_error(400, response.json(), response.headers)
    assert error.platform_subcode == 1885272
    assert error.details["platform"] == ["Budget too low: Your budget is too low."]


@respx.mock
def test_transient_errors_are_retried_with_backoff(adapter, sleeps):
    route = respx.get(f"{GRAPH}/1202").mock(
        side_effect=[graph_error(2, transient=True, status=500), httpx.Response(200, json={"id": "1202"})]
    )
    assert adapter._get("1202", "tok") == {"id": "1202"}
    assert route.call_count == 2 and sleeps == [1]


@respx.mock
def test_rate_limits_are_not_retried_inline(adapter, sleeps):
    route = respx.get(f"{GRAPH}/1202").mock(return_value=graph_error(17))
    with pytest.raises(base.RateLimited):
        adapter._get("1202", "tok")
    assert route.call_count == 1 and sleeps == []


@respx.mock
def test_a_write_sent_without_an_answer_is_an_unknown_outcome_and_never_resent(adapter):
    route = respx.post(f"{GRAPH}/{ACT}/campaigns").mock(side_effect=httpx.ReadTimeout("slow"))
    with pytest.raises(base.UnknownOutcome):
        adapter.create("tok", ACT, "campaign", {"name": "X"}, currency="USD")
    assert route.call_count == 1


@respx.mock
def test_a_batch_part_error_is_mapped_like_a_single_response(adapter):
    usage = json.dumps({"1": [{"estimated_time_to_regain_access": 2}]})
    respx.post(f"{GRAPH}/").mock(
        return_value=httpx.Response(
            200,
            json=[
                {
                    "code": 400,
                    "headers": [{"name": "X-Business-Use-Case-Usage", "value": usage}],
                    "body": json.dumps({"error": {"code": 80004, "message": "too many calls"}}),
                }
            ],
        )
    )
    with pytest.raises(base.RateLimited) as caught:
        adapter.batch("tok", [{"method": "GET", "relative_url": f"{ACT}/campaigns"}])
    assert caught.value.retry_after == 120
