"""Matching a network's posts to ours, for reconciliation (`find_published`) on networks that keep no metadata of
ours: compare a signature of the post text, since networks rewrite links and whitespace."""

from __future__ import annotations

from social.networks.base import NotSupported


# --- text signatures -----------------------------------------------------------------------------------------------
def text_signature(text: str, length: int = 60) -> str:
    """What we compare when a network keeps no metadata of ours: the first characters of the text with whitespace
    collapsed and links dropped (networks rewrite links, e.g. X's t.co)."""
    words = [w for w in text.split() if not w.lower().startswith(("http://", "https://", "www."))]
    return " ".join(words)[:length].casefold()


def same_text(ours: str, theirs: str) -> bool:
    mine = text_signature(ours)
    return bool(mine) and text_signature(theirs, len(mine) + 40).startswith(mine)


def require_text(network: str, text: str) -> None:
    """Networks without metadata of ours reconcile on the post text: without it, answering "not found" could
    make the caller publish twice, so refuse loudly instead."""
    if not text_signature(text):
        raise NotSupported(f"{network} reconciles on the post text: pass text= to find_published.")
