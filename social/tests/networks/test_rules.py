"""Content rules are data per network; one validator turns them into seed 004 style issue codes."""

from __future__ import annotations

import pytest

from social.networks.base import MediaItem, PublishRequest
from social.networks.registry import get_adapter
from social.networks.rules import weighted_length

from .conftest import image, video


def codes(network: str, **kwargs) -> set[str]:
    return {issue.code for issue in get_adapter(network).validate(PublishRequest(correlation_id="c", **kwargs))}


def gif() -> MediaItem:
    return MediaItem(url="https://cdn.hubbub.test/a.gif", mime_type="image/gif", kind="animation")


def test_x_counts_weighted_characters_and_urls():
    assert weighted_length("a" * 10) == 10
    assert weighted_length("日本") == 4  # CJK weighs 2
    assert weighted_length("see https://example.com/" + "x" * 80) == 4 + 23
    assert codes("x", text="a" * 280) == set()
    assert codes("x", text="a" * 281) == {"twitterTweetCharacterCountTooBig"}
    assert codes("x", text="日" * 141) == {"twitterTweetCharacterCountTooBig"}
    # a long URL counts 23, so this fits
    assert codes("x", text="a" * 250 + " https://example.com/" + "p" * 100) == set()


def test_x_media_rules():
    assert codes("x", text="hi", media=(image(),) * 5) == {"max4ImagesForTwitterTweet"}
    assert codes("x", text="hi", media=(image(), video())) == {"noImageAndVideoAtOnce"}
    assert codes("x", text="hi", media=(video(), video())) == {"max1VideoForPostOrTweet"}
    assert codes("x", text="hi", media=(gif(), gif())) == {"max1AnimationForPostOrTweet"}
    assert codes("x", text="hi", media=(gif(), image())) == {"noOtherEntitiesWithAnimation"}
    assert codes("x") == {"requireTextLinkImageOrVideo"}
    assert codes("x", link="https://example.com") == set()


def test_instagram_rules():
    assert codes("instagram", text="caption") == {"mediaRequired"}
    assert codes("instagram", text="x" * 2201, media=(image(),)) == {"textTooLong"}
    assert codes("instagram", media=(image(),) * 11) == {"tooManyImages", "tooManyMediaItems"}
    assert codes("instagram", media=(image(), video())) == set()  # carousels mix
    assert codes("instagram", media=(gif(),)) == {"noAnimationsForstagram"}
    png = MediaItem(url="u", mime_type="image/png", kind="image")
    assert codes("instagram", media=(png,)) == {"unsupportedMediaType"}
    wide = image(width=3000, height=1000)
    assert codes("instagram", media=(wide,)) == {"aspectRatioOutOfRange"}
    assert codes("instagram", media=(image(width=1080, height=1350),)) == set()
    assert codes("instagram", media=(image(),), post_type="story") == set()


@pytest.mark.parametrize(
    ("network", "kwargs", "expected"),
    [
        ("linkedin", {"text": "x" * 3001}, {"textTooLong"}),
        ("linkedin", {"text": "hi", "media": (video(), image())}, {"noImageAndVideoAtOnce"}),
        ("wordpress", {"text": "hi", "media": (video(),)}, {"videosNotSupported"}),
        ("facebook", {"text": "x" * 63206}, set()),
        ("facebook", {"text": "x", "media": (image(), video())}, {"noImageAndVideoAtOnce"}),
        ("tiktok", {"text": "x"}, {"mediaRequired"}),
        ("tiktok", {"media": (video(duration_seconds=601),)}, {"videoTooLong"}),
        ("youtube", {"title": "t", "media": (image(),)}, {"videoRequired", "imagesNotSupported"}),
        ("youtube", {"title": "t" * 101, "media": (video(),)}, {"titleTooLong"}),
        ("youtube", {"media": (video(),)}, {"titleRequired"}),
        ("pinterest", {"title": "t", "text": "x" * 501, "media": (image(),)}, {"textTooLong"}),
        ("pinterest", {"title": "t" * 101, "media": (image(),)}, {"titleTooLong"}),
        ("pinterest", {"media": (image(),), "first_comment": "hi"}, {"firstCommentNotSupported"}),
        ("wordpress", {"title": "T", "text": "x" * 100_000}, set()),
        ("facebook", {"text": "x", "post_type": "reel"}, {"postTypeNotAllowed"}),
    ],
)
def test_network_rules(network, kwargs, expected):
    assert codes(network, **kwargs) == expected


def test_issue_carries_field_and_message():
    issues = get_adapter("x").validate(PublishRequest(correlation_id="c", text="hi", media=(image(),) * 5))
    assert [(i.code, i.field) for i in issues] == [("max4ImagesForTwitterTweet", "media")]
    assert "4" in issues[0].message


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"text": "So true", "options": {"quoteTweetId": "1460323737035677698"}}, set()),
        ({"text": "So true", "options": {"quoteTweetId": "https://x.com/a/status/1"}}, {"invalidTweetId"}),
        ({"post_type": "repost", "options": {"repostOf": "1460323737035677698"}}, set()),
        ({"post_type": "repost"}, {"repostOfRequired"}),
        ({"post_type": "repost", "text": "Look", "options": {"repostOf": "1"}}, {"repostHasNoContent"}),
        ({"post_type": "repost", "first_comment": "+1", "options": {"repostOf": "1"}}, {"repostHasNoContent"}),
        ({"text": "Look", "options": {"repostOf": "1"}}, {"repostOfNeedsRepostType"}),
    ],
)
def test_x_quotes_and_reposts(kwargs, expected):
    assert codes("x", **kwargs) == expected


def test_only_x_reposts():
    assert codes("linkedin", post_type="repost", options={"repostOf": "1"}) == {"postTypeNotAllowed"}
