"""`manage.py seed_demo`: a demo agency to click through (idempotent; `make run` calls it on every start)."""

from __future__ import annotations

import os

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction

from core import extensions, tenancy
from tenants.models import ApiKey, Membership, Team, TeamMember, Tenant, User
from tenants.roles import ApiKeyScope, Role
from tenants.services import api_keys, workspaces

DEMO_SLUG = "demo"
DEMO_KEY_NAME = "Demo key"
PEOPLE = [
    ("demo@hubbub.local", "Dana", "Owner", Role.OWNER),
    ("editor@hubbub.local", "Eddie", "Editor", Role.EDITOR),
    ("approver@hubbub.local", "April", "Approver", Role.APPROVER),
]


class Command(BaseCommand):
    help = "Create (or refresh) the demo tenant, its people, a team, an API key and an admin superuser."

    def handle(self, *args, **options) -> None:
        # Local demo only: the password is printed, and set only when an account is first created.
        password = os.environ.get("DEMO_PASSWORD", "hubbub-demo")
        lines: list[str] = []
        with transaction.atomic():
            owner, created_people = self._people(password)
            tenant = self._tenant(owner)
            with tenancy.tenant_context(tenant):
                self._memberships(tenant, created_people)
                team = self._team()
                raw_key = self._api_key(owner)
            admin_created = self._superuser(password)
        with tenancy.tenant_context(tenant):
            seeded = self._seed_other_apps(tenant, owner)

        lines.append(f"Demo tenant: {tenant.name} (slug {tenant.slug}, plan {tenant.plan})")
        for email, _first, _last, role in PEOPLE:
            lines.append(f"  {role:<9} {email}  password: {password}")
        lines.append(f"  Team: {team.name}")
        if raw_key:
            lines.append(f"  API key (shown once, store it now): {raw_key}")
        else:
            lines.append(
                f"  API key '{DEMO_KEY_NAME}' exists; its secret was shown when it was created. Rotate it with "
                "POST /api/v1/api-keys/{id}/rotate (or revoke it in the admin and re-run seed_demo)."
            )
        lines.append(
            f"Admin superuser: admin@hubbub.local  password: {password}"
            + (" (created)" if admin_created else " (exists)")
        )
        lines.append(f"Demo data from: {', '.join(seeded) if seeded else 'no other app provides demo data yet'}")
        base = settings.PUBLIC_BASE_URL
        lines.append(f"API docs: {base}/api/docs/   Admin: {base}/admin/   Log in: POST {base}/api/v1/auth/login")
        self.stdout.write("\n".join(lines))

    def _people(self, password: str) -> tuple[User, list[User]]:
        users = []
        for email, first, last, _role in PEOPLE:
            user = User.objects.filter(email=email).first()
            if user is None:
                user = User.objects.create_user(email, password=password, first_name=first, last_name=last)
            users.append(user)
        return users[0], users

    def _tenant(self, owner: User) -> Tenant:
        tenant = Tenant.objects.filter(slug=DEMO_SLUG).first()
        if tenant is None:
            tenant = workspaces.create_tenant(
                actor=None, name="Demo Agency", slug=DEMO_SLUG, plan="business", owner=owner, timezone="Europe/Berlin"
            )
        return tenant

    def _memberships(self, tenant: Tenant, users: list[User]) -> None:
        default_team = Team.objects.filter(is_default=True).first()
        for user, (_email, _first, _last, role) in zip(users, PEOPLE, strict=True):
            Membership.objects.get_or_create(user=user, defaults={"role": role})
            if default_team is not None:
                TeamMember.objects.get_or_create(team=default_team, user=user)

    def _team(self) -> Team:
        team, _ = Team.objects.get_or_create(name="Social", defaults={"description": "Publishing and community"})
        for membership in Membership.objects.filter(role__in=[Role.OWNER, Role.EDITOR, Role.APPROVER]):
            role = "ADMIN" if membership.role == Role.OWNER else "MEMBER"
            TeamMember.objects.get_or_create(team=team, user_id=membership.user_id, defaults={"role": role})
        return team

    def _api_key(self, owner: User) -> str | None:
        if ApiKey.objects.filter(name=DEMO_KEY_NAME, revoked_at__isnull=True).exists():
            return None
        _key, raw = api_keys.create_api_key(
            actor=None,
            name=DEMO_KEY_NAME,
            scopes=[ApiKeyScope.READ, ApiKeyScope.WRITE, ApiKeyScope.USERS_PROVISION],
            created_by=owner,
        )
        return raw

    def _superuser(self, password: str) -> bool:
        if User.objects.filter(email="admin@hubbub.local").exists():
            return False
        User.objects.create_superuser("admin@hubbub.local", password)
        return True

    def _seed_other_apps(self, tenant: Tenant, owner: User) -> list[str]:
        """Every installed app's `demo.seed_demo` (core.extensions convention), in INSTALLED_APPS order."""
        seeded = []
        for label, module in extensions.demo_modules():
            module.seed_demo(tenant=tenant, owner=owner)
            seeded.append(label)
        return seeded
