"""Per-network content rules as data, and the one validator that checks a post against them before scheduling.

Issue codes follow seed 004's ValidationError codes where one exists (`max4ImagesForTwitterTweet`,
`twitterTweetCharacterCountTooBig`, `noImageAndVideoAtOnce`, `max1VideoForPostOrTweet`,
`max1AnimationForPostOrTweet`, `noOtherEntitiesWithAnimation`, `noAnimationsForstagram` (sic),
`requireTextLinkImageOrVideo`); the others are ours, in the same camelCase style.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from social.networks.base import ContentRules, PublishRequest


@dataclass(frozen=True)
class ValidationIssue:
    code: str
    field: str
    message: str


@dataclass(frozen=True)
class NetworkRules(ContentRules):
    """ContentRules plus what some networks need beyond the common fields."""

    network: str = ""
    max_animations: int = 0  # GIFs posted as animations
    max_media_items: int | None = None  # total media per post (Instagram carousels: 10)
    requires_video: bool = False
    max_title_length: int | None = None
    requires_title: bool = False
    weighted_text: bool = False  # X counts with twitter-text weights (URLs 23, CJK/emoji 2)
    # Network-specific checks beyond the common fields (e.g. X's quote and repost options), run by `validate`.
    extra_checks: tuple[Callable[[PublishRequest], list[ValidationIssue]], ...] = ()
    text_too_long_code: str = "textTooLong"
    too_many_images_code: str = "tooManyImages"
    no_animations_code: str = "animationsNotSupported"


# twitter-text v3 configuration: code points in these ranges weigh 1, all others 2; every URL weighs 23.
_LIGHT_RANGES = ((0, 4351), (8192, 8205), (8208, 8223), (8242, 8247))
_URL = re.compile(r"https?://\S+|www\.\S+", re.IGNORECASE)
TWEET_URL_LENGTH = 23


def weighted_length(text: str) -> int:
    """Tweet length as X counts it (twitter-text v3 weights, halved to whole characters)."""
    total = 0
    urls = _URL.findall(text)
    for url in urls:
        text = text.replace(url, "", 1)
    for char in text:
        point = ord(char)
        total += 1 if any(lo <= point <= hi for lo, hi in _LIGHT_RANGES) else 2
    return total + TWEET_URL_LENGTH * len(urls)


def text_length(rules: NetworkRules, text: str) -> int:
    return weighted_length(text) if rules.weighted_text else len(text)


def validate(rules: ContentRules, request: PublishRequest) -> list[ValidationIssue]:
    """Every rule the request breaks (empty list: fine). Media dimensions/durations are checked when known."""
    rules = rules if isinstance(rules, NetworkRules) else NetworkRules(**rules.__dict__)
    issues: list[ValidationIssue] = []

    def add(code: str, field: str, message: str) -> None:
        issues.append(ValidationIssue(code, field, message))

    images = [m for m in request.media if m.kind == "image"]
    videos = [m for m in request.media if m.kind == "video"]
    animations = [m for m in request.media if m.kind == "animation"]

    if request.post_type not in rules.allowed_post_types:
        add("postTypeNotAllowed", "postType", f"Post type '{request.post_type}' is not available on this network.")

    length = text_length(rules, request.text)
    if length > rules.max_text_length:
        add(rules.text_too_long_code, "text", f"The text is {length} characters; the limit is {rules.max_text_length}.")
    if rules.max_title_length is not None and len(request.title) > rules.max_title_length:
        add("titleTooLong", "title", f"The title is limited to {rules.max_title_length} characters.")
    if rules.requires_title and not request.title.strip():
        add("titleRequired", "title", "A title is required on this network.")

    reposting = request.post_type == "repost"
    if (
        rules.requires_text_link_or_media
        and not reposting
        and not (request.text.strip() or request.link or request.media)
    ):
        add("requireTextLinkImageOrVideo", "text", "Add text, a link, an image or a video.")
    if rules.requires_video and not videos:
        add("videoRequired", "media", "A video is required on this network.")
    elif rules.requires_media and not request.media:
        add("mediaRequired", "media", "An image or a video is required on this network.")

    if len(images) > rules.max_images:
        if rules.max_images == 0:
            add("imagesNotSupported", "media", "Images cannot be posted on this network.")
        else:
            add(rules.too_many_images_code, "media", f"At most {rules.max_images} images per post.")
    if len(videos) > rules.max_videos:
        if rules.max_videos == 0:
            add("videosNotSupported", "media", "Videos cannot be posted on this network.")
        elif rules.max_videos == 1:
            add("max1VideoForPostOrTweet", "media", "At most one video per post.")
        else:
            add("tooManyVideos", "media", f"At most {rules.max_videos} videos per post.")
    if images and videos and not rules.allows_mixed_media:
        add("noImageAndVideoAtOnce", "media", "Images and a video cannot be combined in one post.")
    if animations:
        if rules.max_animations == 0:
            add(rules.no_animations_code, "media", "Animated GIFs cannot be posted on this network.")
        elif len(animations) > rules.max_animations:
            add("max1AnimationForPostOrTweet", "media", "At most one animated GIF per post.")
        if images or videos:
            add("noOtherEntitiesWithAnimation", "media", "An animated GIF cannot be combined with other media.")
    if rules.max_media_items is not None and len(request.media) > rules.max_media_items:
        add("tooManyMediaItems", "media", f"At most {rules.max_media_items} media items per post.")

    for index, item in enumerate(request.media):
        field = f"media[{index}]"
        allowed = {
            "image": rules.image_mime_types,
            "animation": ("image/gif",),
            "video": rules.video_mime_types,
        }.get(item.kind, ())
        if item.mime_type not in allowed:
            add("unsupportedMediaType", field, f"{item.mime_type or item.kind} files are not accepted here.")
        if (
            item.kind == "video"
            and rules.max_video_seconds
            and item.duration_seconds
            and item.duration_seconds > rules.max_video_seconds
        ):
            add("videoTooLong", field, f"Videos are limited to {rules.max_video_seconds} seconds.")
        if item.kind == "image" and item.width and item.height:
            ratio = item.width / item.height
            if (rules.min_aspect_ratio and ratio < rules.min_aspect_ratio - 0.005) or (
                rules.max_aspect_ratio and ratio > rules.max_aspect_ratio + 0.005
            ):
                add(
                    "aspectRatioOutOfRange",
                    field,
                    f"Image aspect ratio {ratio:.2f} is outside {rules.min_aspect_ratio}-{rules.max_aspect_ratio}.",
                )

    if request.first_comment and not rules.supports_first_comment:
        add("firstCommentNotSupported", "firstComment", "This network does not support a first comment.")
    if len(request.first_comment) > 2000:
        add("firstCommentTooLong", "firstComment", "The first comment is limited to 2000 characters.")
    for check in rules.extra_checks:
        issues.extend(check(request))
    return issues


TWEET_ID = re.compile(r"\d{1,19}")


def x_quote_and_repost(request: PublishRequest) -> list[ValidationIssue]:
    """`networkOptions.quoteTweetId` quotes a post (with our text); post type `repost` with `repostOf` reposts one
    as it is (no text, media or first comment of ours)."""
    issues = []
    quote, source = request.options.get("quoteTweetId"), request.options.get("repostOf")
    for name, value in (("quoteTweetId", quote), ("repostOf", source)):
        if value not in (None, "") and not TWEET_ID.fullmatch(str(value)):
            issues.append(ValidationIssue("invalidTweetId", f"networkOptions.{name}", "A post id: digits only."))
    if request.post_type == "repost":
        if not source:
            issues.append(ValidationIssue("repostOfRequired", "networkOptions.repostOf", "Which post to repost."))
        if request.text.strip() or request.media or request.link or request.first_comment or quote:
            issues.append(
                ValidationIssue(
                    "repostHasNoContent",
                    "text",
                    "A repost carries nothing of its own; to add text, quote the post (quoteTweetId) instead.",
                )
            )
    elif source:
        issues.append(ValidationIssue("repostOfNeedsRepostType", "postType", "Set postType to repost to repost."))
    return issues


IMAGE_TYPES = ("image/jpeg", "image/png", "image/gif", "image/webp")

X = NetworkRules(
    network="x",
    max_text_length=280,
    weighted_text=True,
    max_images=4,
    max_videos=1,
    max_animations=1,
    max_video_seconds=140,
    supports_first_comment=True,  # a reply to the post
    text_too_long_code="twitterTweetCharacterCountTooBig",
    too_many_images_code="max4ImagesForTwitterTweet",
    video_mime_types=("video/mp4", "video/quicktime"),
    allowed_post_types=("post", "repost"),
    extra_checks=(x_quote_and_repost,),
)
FACEBOOK = NetworkRules(
    network="facebook",
    max_text_length=63206,
    max_images=10,
    max_videos=1,
    max_animations=1,
    max_video_seconds=4 * 3600,
    supports_first_comment=True,
)
INSTAGRAM = NetworkRules(
    network="instagram",
    max_text_length=2200,
    max_images=10,
    max_videos=10,  # carousel items may be videos
    max_media_items=10,
    allows_mixed_media=True,
    requires_media=True,
    max_video_seconds=15 * 60,
    supports_first_comment=True,
    supports_link_preview=False,
    allowed_post_types=("post", "reel", "story"),
    image_mime_types=("image/jpeg",),  # the container API only takes JPEG
    video_mime_types=("video/mp4", "video/quicktime"),
    min_aspect_ratio=0.8,  # 4:5
    max_aspect_ratio=1.91,
    no_animations_code="noAnimationsForstagram",
)
LINKEDIN = NetworkRules(
    network="linkedin",
    max_text_length=3000,
    max_images=20,
    max_videos=1,
    max_video_seconds=30 * 60,
    supports_first_comment=True,
    image_mime_types=("image/jpeg", "image/png", "image/gif"),
    video_mime_types=("video/mp4",),
)
YOUTUBE = NetworkRules(
    network="youtube",
    max_text_length=5000,  # description
    max_images=0,
    max_videos=1,
    requires_media=True,
    requires_video=True,
    requires_title=True,
    max_title_length=100,
    max_video_seconds=12 * 3600,
    supports_link_preview=False,
    video_mime_types=("video/mp4", "video/quicktime", "video/webm", "video/x-msvideo", "video/mpeg"),
)
TIKTOK = NetworkRules(
    network="tiktok",
    max_text_length=2200,
    max_images=35,  # photo posts
    max_videos=1,
    requires_media=True,
    max_title_length=90,  # photo post title
    max_video_seconds=10 * 60,
    supports_link_preview=False,
    image_mime_types=("image/jpeg", "image/webp"),
    video_mime_types=("video/mp4", "video/quicktime", "video/webm"),
)
PINTEREST = NetworkRules(
    network="pinterest",
    max_text_length=500,  # pin description
    max_images=5,  # multiple_image_urls carousel
    max_videos=1,
    requires_media=True,
    max_title_length=100,
    supports_link_preview=False,
    image_mime_types=("image/jpeg", "image/png", "image/webp"),
)
WORDPRESS = NetworkRules(
    network="wordpress",
    max_text_length=1_000_000,
    max_images=20,
    max_videos=0,
    max_title_length=1000,
    image_mime_types=IMAGE_TYPES,
)
