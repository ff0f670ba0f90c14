"""Composer pickers of each adapter against respx: the real endpoints, parameters and answer shapes."""

from __future__ import annotations

import httpx
import pytest

from social.networks import base
from social.networks.catalog import LOOKUP_KINDS
from social.networks.facebook import GRAPH, FacebookAdapter
from social.networks.instagram import InstagramAdapter
from social.networks.linkedin import LINKEDIN_VERSION, REST, LinkedInAdapter
from social.networks.pinterest import API as PINTEREST
from social.networks.pinterest import PinterestAdapter
from social.networks.registry import ADAPTER_PATHS, get_adapter
from social.networks.x import API as X
from social.networks.x import XAdapter

from .conftest import creds


@pytest.mark.parametrize("network", sorted(ADAPTER_PATHS))
def test_every_offered_lookup_is_a_known_kind_with_a_handler(network):
    adapter = get_adapter(network)
    assert set(adapter.lookups) <= LOOKUP_KINDS
    for kind in adapter.lookups:
        assert callable(getattr(adapter, f"lookup_{kind.replace('-', '_')}"))


def test_pinterest_board_sections_need_a_board_and_page_through(make, respx_mock):
    pin = make(PinterestAdapter)
    with pytest.raises(base.InvalidContent):
        pin.lookup_board_sections(creds())
    sections = respx_mock.get(f"{PINTEREST}/boards/b1/sections")
    sections.side_effect = [
        httpx.Response(200, json={"items": [{"id": "s1", "name": "Ideas"}], "bookmark": "BM"}),
        httpx.Response(200, json={"items": [{"id": "s2", "name": "Done"}], "bookmark": None}),
    ]
    assert [s.id for s in pin.lookup_board_sections(creds(), parent="b1", query="ide")] == ["s1"]
    assert sections.calls[0].request.url.params["page_size"] == "100"
    assert sections.calls.last.request.headers["Authorization"] == "Bearer tok"


def test_facebook_locations_of_the_page_filtered_by_name(make, respx_mock):
    route = respx_mock.get(f"{GRAPH}/p1/locations").respond(
        json={
            "data": [
                {"id": "l1", "name": "Acme Berlin", "location": {"city": "Berlin", "country": "Germany"}},
                {"id": "l2", "name": "Acme Paris", "location": {"city": "Paris"}},
            ]
        }
    )
    found = make(FacebookAdapter).lookup_locations(creds("p1", page_id="p1"), query="berlin")
    assert [(f.id, f.extra["location"]["city"]) for f in found] == [("l1", "Berlin")]
    params = route.calls.last.request.url.params
    assert params["fields"] == "id,name,location{street,city,zip,country}" and params["access_token"] == "tok"
    assert "appsecret_proof" in params


def test_facebook_mentions_search_pages_and_report_a_missing_permission(make, respx_mock):
    fb = make(FacebookAdapter)
    assert fb.lookup_mentions(creds("p1"), query="a") == []  # too short to search: nothing sent
    route = respx_mock.get(f"{GRAPH}/pages/search").respond(
        json={
            "data": [{"id": "9", "name": "Acme", "link": "https://fb.com/acme", "verification_status": "blue_verified"}]
        }
    )
    [page] = fb.lookup_mentions(creds("p1"), query="acme")
    assert (page.id, page.extra) == ("9", {"url": "https://fb.com/acme", "verified": True})
    assert route.calls.last.request.url.params["q"] == "acme"
    route.respond(
        403,
        json={"error": {"message": "(#10) requires Page Public Metadata Access", "type": "OAuthException", "code": 10}},
    )
    with pytest.raises(base.PermissionMissing):
        fb.lookup_mentions(creds("p1"), query="acme")


def test_instagram_products_come_from_the_first_catalog(make, respx_mock):
    catalogs = respx_mock.get(f"{GRAPH}/ig1/available_catalogs").respond(
        json={"data": [{"catalog_id": "c9", "catalog_name": "Shop", "shop_name": "Acme"}]}
    )
    search = respx_mock.get(f"{GRAPH}/ig1/catalog_product_search").respond(
        json={
            "data": [
                {
                    "product_id": 3231,
                    "merchant_id": 90,
                    "product_name": "Red mug",
                    "image_url": "https://cdn/mug.jpg",
                    "retailer_id": "mug-red",
                    "review_status": "approved",
                }
            ]
        }
    )
    [product] = make(InstagramAdapter).lookup_products(creds("ig1", ig_user_id="ig1"), query="mug")
    assert (product.id, product.name, product.image_url) == ("3231", "Red mug", "https://cdn/mug.jpg")
    assert product.extra == {"catalogId": "c9", "retailerId": "mug-red", "reviewStatus": "approved"}
    assert search.calls.last.request.url.params["catalog_id"] == "c9"
    assert search.calls.last.request.url.params["q"] == "mug"
    assert catalogs.call_count == 1


def test_instagram_without_a_shop_has_no_products(make, respx_mock):
    respx_mock.get(f"{GRAPH}/ig1/available_catalogs").respond(json={"data": []})
    assert make(InstagramAdapter).lookup_products(creds("ig1", ig_user_id="ig1"), query="mug") == []


def test_x_mentions_confirm_an_exact_username(make, respx_mock):
    x = make(XAdapter)
    assert x.lookup_mentions(creds(), query="not a handle!") == []  # nothing sent for an impossible name
    route = respx_mock.get(f"{X}/users/by/username/hubbub_hq").respond(
        json={"data": {"id": "42", "name": "Hubbub", "username": "hubbub_hq", "verified": True}}
    )
    [user] = x.lookup_mentions(creds(), query="@hubbub_hq")
    assert (user.id, user.extra) == ("42", {"username": "hubbub_hq", "verified": True})
    assert route.calls.last.request.url.params["user.fields"] == "profile_image_url,verified"
    respx_mock.get(f"{X}/users/by/username/nobody_here").respond(
        json={"errors": [{"title": "Not Found Error", "detail": "Could not find user with username: [nobody_here]."}]}
    )
    assert x.lookup_mentions(creds(), query="nobody_here") == []


def test_x_rate_limit_is_reported_with_its_reset(make, respx_mock):
    respx_mock.get(f"{X}/users/by/username/acme").respond(
        429, json={"title": "Too Many Requests"}, headers={"x-rate-limit-reset": "4102444800"}
    )
    with pytest.raises(base.RateLimited):
        make(XAdapter).lookup_mentions(creds(), query="acme")


def test_linkedin_mentions_find_an_organization_by_vanity_name(make, respx_mock):
    route = respx_mock.get(f"{REST}/organizations").respond(
        json={"elements": [{"id": 2414183, "localizedName": "Acme Corp", "vanityName": "acme"}]}
    )
    [org] = make(LinkedInAdapter).lookup_mentions(creds(), query="@Acme")
    assert (org.id, org.name, org.extra) == ("urn:li:organization:2414183", "Acme Corp", {"vanityName": "acme"})
    request = route.calls.last.request
    assert dict(request.url.params) == {"q": "vanityName", "vanityName": "acme"}
    assert request.headers["LinkedIn-Version"] == LINKEDIN_VERSION
