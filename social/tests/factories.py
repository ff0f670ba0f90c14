"""factory_boy factories for the social app: channels (and their team links), media, short links.

Every factory takes `tenant=` (a fresh tenant by default) and creates its row inside that tenant's context, so the
scoped manager and PostgreSQL's row-level security see exactly what production code would.

    ChannelFactory(tenant=tenant)                       # sandbox, active, with tokens: it can publish
    ChannelFactory(tenant=tenant, teams=[team])         # visible to the team's members
    ChannelFactory(tenant=tenant, network="x")          # any network (tokens included)
    ChannelFactory(tenant=tenant, placeholder=True)     # a placeholder / custom channel: no tokens
    ChannelFactory(tenant=tenant, sandbox={"failWith": "AUTH_EXPIRED", "times": 1})  # injected sandbox failure
    MediaFactory(tenant=tenant)                         # a real 64x48 PNG in storage
    MediaFactory(tenant=tenant, content=jpeg_bytes())   # any bytes (kind/mime/size/hash must then be given)
    ShortLinkFactory(tenant=tenant, target_url="https://example.com/a")

The sample-file builders (`png_bytes`, `jpeg_bytes`, `animated_gif_bytes`, `mp4_bytes`, `PDF_BYTES`) are real
files that the media probe accepts (or refuses, for PDF).
"""

from __future__ import annotations

import hashlib
import io
import struct
from datetime import timedelta

import factory
from django.core.files.base import ContentFile
from django.utils import timezone
from PIL import Image

from core import tenancy
from social.models import Channel, ChannelNetwork, ChannelStatus, Media, MediaKind, ShortLink, TeamChannel
from tenants.models import Team, TeamMember
from tenants.tests.factories import TenantFactory


# --- sample files ----------------------------------------------------------------------------------------------------
def png_bytes(width: int = 800, height: int = 600, color: tuple[int, int, int] = (200, 30, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), color).save(out, format="PNG")
    return out.getvalue()


def jpeg_bytes(width: int = 640, height: int = 480) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (10, 120, 200)).save(out, format="JPEG")
    return out.getvalue()


def animated_gif_bytes() -> bytes:
    out = io.BytesIO()
    frames = [Image.new("RGB", (40, 30), (i * 80, 0, 0)) for i in range(3)]
    frames[0].save(out, format="GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    return out.getvalue()


def _box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", 8 + len(payload)) + kind + payload


def mp4_bytes(*, duration_units: int = 12_500, timescale: int = 1000, width: int = 1280, height: int = 720) -> bytes:
    """ftyp + moov(mvhd v0, audio trak, video trak) + mdat: enough structure for sniffing and probing."""
    ftyp = _box(b"ftyp", b"isom" + struct.pack(">I", 512) + b"isomiso2avc1mp41")
    mvhd = _box(b"mvhd", b"\x00\x00\x00\x00" + struct.pack(">IIII", 0, 0, timescale, duration_units) + b"\x00" * 80)

    def tkhd(w: int, h: int) -> bytes:
        head = b"\x00\x00\x00\x07" + struct.pack(">IIIII", 0, 0, 1, 0, duration_units)
        middle = b"\x00" * 8 + b"\x00" * 8 + b"\x00" * 36
        return _box(b"tkhd", head + middle + struct.pack(">II", w << 16, h << 16))

    audio = _box(b"trak", tkhd(0, 0))
    video = _box(b"trak", tkhd(width, height))
    moov = _box(b"moov", mvhd + audio + video)
    return ftyp + moov + _box(b"mdat", b"\x00" * 1024)


PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


# --- the tenant-aware base -------------------------------------------------------------------------------------------
class TenantScopedFactory(factory.django.DjangoModelFactory):
    """Creates a `TenantScopedModel` row inside `tenant_context(tenant)` (a new tenant unless `tenant=` is given)."""

    class Meta:
        abstract = True

    tenant = factory.SubFactory(TenantFactory)

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        with tenancy.tenant_context(kwargs["tenant"]):
            return super()._create(model_class, *args, **kwargs)


class TeamFactory(TenantScopedFactory):
    class Meta:
        model = Team
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Team {n:03d}")

    @factory.post_generation
    def members(obj, create, extracted, **kwargs):
        """members=[membership, ...]: those users join the team (and so see its channels)."""
        if create and extracted:
            with tenancy.tenant_context(obj.tenant):
                for membership in extracted:
                    TeamMember.objects.create(team=obj, user=membership.user)


def add_to_team(team: Team, *memberships) -> None:
    """Put existing members into an existing team."""
    with tenancy.tenant_context(team.tenant):
        for membership in memberships:
            TeamMember.objects.create(team=team, user=membership.user)


# --- channels --------------------------------------------------------------------------------------------------------
class ChannelFactory(TenantScopedFactory):
    class Meta:
        model = Channel
        skip_postgeneration_save = True

    class Params:
        # Injected sandbox failures (see social/networks/sandbox.py), stored where the adapter reads them.
        sandbox = None
        placeholder = factory.Trait(
            network=ChannelNetwork.PLACEHOLDER, access_token="", refresh_token="", token_expires_at=None
        )
        custom = factory.Trait(network=ChannelNetwork.CUSTOM, access_token="", refresh_token="", token_expires_at=None)
        needs_attention = factory.Trait(status=ChannelStatus.NEEDS_ATTENTION, status_reason="Token expired.")
        disconnected = factory.Trait(
            status=ChannelStatus.DISCONNECTED, disconnected_at=factory.LazyFunction(timezone.now)
        )

    network = ChannelNetwork.SANDBOX
    external_id = factory.Sequence(lambda n: f"ext-{n}")
    name = factory.Sequence(lambda n: f"Channel {n:03d}")
    access_token = factory.Sequence(lambda n: f"sbx-access-token-{n}")
    refresh_token = factory.Sequence(lambda n: f"sbx-refresh-token-{n}")
    token_expires_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=30))
    status = ChannelStatus.ACTIVE
    config = factory.LazyAttribute(lambda o: {"sandbox": o.sandbox} if o.sandbox else {})

    @factory.post_generation
    def teams(obj, create, extracted, **kwargs):
        """teams=[team, ...]: the channel is assigned to those teams."""
        if create and extracted:
            for team in extracted:
                TeamChannelFactory(tenant=obj.tenant, team=team, channel=obj)


class TeamChannelFactory(TenantScopedFactory):
    class Meta:
        model = TeamChannel

    team = factory.SubFactory(TeamFactory, tenant=factory.SelfAttribute("..tenant"))
    channel = factory.SubFactory(ChannelFactory, tenant=factory.SelfAttribute("..tenant"))


# --- media -----------------------------------------------------------------------------------------------------------
class MediaFactory(TenantScopedFactory):
    """A media row with a real file in storage; size and hash are computed from `content` (a 64x48 PNG)."""

    class Meta:
        model = Media

    class Params:
        content = factory.LazyFunction(lambda: png_bytes(64, 48))

    kind = MediaKind.IMAGE
    mime_type = "image/png"
    name = factory.Sequence(lambda n: f"image-{n}.png")
    original_name = factory.SelfAttribute("name")
    width = 64
    height = 48
    size_bytes = factory.LazyAttribute(lambda o: len(o.content))
    sha256 = factory.LazyAttribute(lambda o: hashlib.sha256(o.content).hexdigest())
    file = factory.LazyAttribute(lambda o: ContentFile(o.content, name=o.name))


# --- short links -----------------------------------------------------------------------------------------------------
class ShortLinkFactory(TenantScopedFactory):
    class Meta:
        model = ShortLink

    code = factory.Sequence(lambda n: f"f{n:06d}")
    target_url = factory.Sequence(lambda n: f"https://example.com/page/{n}")
    title = ""
