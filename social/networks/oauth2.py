"""OAuth 2 for the network adapters: token responses, client authentication helpers, and `OAuth2Adapter`, the base
of the standard authorization-code networks (X, LinkedIn, YouTube, TikTok, Pinterest)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from datetime import UTC, datetime, timedelta
from typing import ClassVar
from urllib.parse import urlencode

from social.networks.base import AuthExpired, AuthorizeRequest, ChannelCredentials, TokenSet
from social.networks.http import HttpAdapter


# --- token responses -----------------------------------------------------------------------------------------------
def token_set_from(payload: dict, *, owner_id: str = "") -> TokenSet:
    """A standard OAuth 2 token response -> TokenSet. A missing refresh_token stays empty: the caller keeps the old."""
    expires_in = payload.get("expires_in")
    expires_at = None
    if expires_in not in (None, "", 0):
        expires_at = datetime.now(UTC) + timedelta(seconds=int(expires_in))
    scope = payload.get("scope") or ""
    scopes = tuple(s for s in re.split(r"[,\s]+", scope) if s) if isinstance(scope, str) else ()
    return TokenSet(
        access_token=payload["access_token"],
        refresh_token=payload.get("refresh_token") or "",
        expires_at=expires_at,
        scopes=scopes,
        token_owner_id=owner_id,
    )


def basic_auth(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def appsecret_proof(access_token: str, app_secret: str) -> str:
    return hmac.new(app_secret.encode(), access_token.encode(), hashlib.sha256).hexdigest()


# --- the adapter base ----------------------------------------------------------------------------------------------
class OAuth2Adapter(HttpAdapter):
    """Standard OAuth 2 authorization-code networks (X, LinkedIn, YouTube, TikTok, Pinterest): the authorize URL,
    the token endpoint calls (code, refresh) and revocation are data; subclasses list the accounts a grant reaches."""

    authorize_endpoint: ClassVar[str]
    token_endpoint: ClassVar[str]
    revoke_endpoint: ClassVar[str] = ""
    scopes: ClassVar[tuple[str, ...]] = ()
    scope_separator: ClassVar[str] = " "
    client_id_param: ClassVar[str] = "client_id"  # TikTok: client_key
    token_client_auth: ClassVar[str] = "body"  # "body": id+secret in the form; "basic": HTTP Basic
    client_id_in_form: ClassVar[bool] = True  # with "basic", whether client_id is repeated in the form
    authorize_extra: ClassVar[dict[str, str]] = {}

    def authorize_url(self, request: AuthorizeRequest) -> str:
        params = {
            self.client_id_param: self.app["client_id"],
            "redirect_uri": request.redirect_uri,
            "response_type": "code",
            "scope": self.scope_separator.join(self.scopes),
            "state": request.state,
            **self.authorize_extra,
        }
        if self.uses_pkce:
            if not request.code_challenge:
                raise ValueError(f"{self.network} needs a PKCE code_challenge.")
            params["code_challenge"] = request.code_challenge
            params["code_challenge_method"] = "S256"
        return f"{self.authorize_endpoint}?{urlencode(params)}"

    def token_request(self, grant: dict[str, str], *, url: str = "") -> dict:
        """POST a form to the token endpoint (or `url`, e.g. revocation) with the client authentication."""
        app = self.app
        form = dict(grant)
        if self.client_id_in_form:
            form[self.client_id_param] = app["client_id"]
        headers = {"Accept": "application/json"}
        if self.token_client_auth == "basic":
            headers["Authorization"] = basic_auth(app["client_id"], app["client_secret"])
        else:
            form["client_secret"] = app["client_secret"]
        return self.call_json("POST", url or self.token_endpoint, data=form, headers=headers)

    def code_tokens(self, *, code: str, redirect_uri: str, code_verifier: str = "") -> dict:
        grant = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}
        if self.uses_pkce:
            grant["code_verifier"] = code_verifier
        return self.token_request(grant)

    def refresh(self, credentials: ChannelCredentials) -> TokenSet:
        """A response without a new refresh_token leaves it empty: the caller keeps the one it has."""
        if not credentials.refresh_token:
            raise AuthExpired(f"{self.network}: no refresh token; the channel must be reconnected.")
        payload = self.token_request({"grant_type": "refresh_token", "refresh_token": credentials.refresh_token})
        return token_set_from(payload, owner_id=credentials.external_id)

    def revoke(self, credentials: ChannelCredentials) -> None:
        if not self.revoke_endpoint:
            return super().revoke(credentials)
        self.token_request({"token": credentials.access_token}, url=self.revoke_endpoint)

    def bearer(self, credentials: ChannelCredentials | str) -> dict[str, str]:
        token = credentials if isinstance(credentials, str) else credentials.access_token
        return {"Authorization": f"Bearer {token}"}
