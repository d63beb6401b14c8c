"""jwt_hs384: the compact JWTs this server accepts, HS384 only, stdlib only.

Why HS384 and a ``uid`` claim: goldpath.v1 uses HS256 and ``sub``; this
server differs on purpose so that a protocol profile has to say how to mint
its tokens.  The signature is compared in constant time (hmac.compare_digest)
and the algorithm is fixed by the server, never taken from the token: a token
whose header says ``none`` or ``HS256`` is refused before any check.
"""

import base64
import hashlib
import hmac
import json
import math
import re

ALG = "HS384"
TOKEN_LEN_MAX = 4096
UID_RE = re.compile(r"[A-Za-z0-9_.@-]{1,64}\Z")
_B64URL_RE = re.compile(r"[A-Za-z0-9_-]*\Z")


class TokenError(Exception):
    """A token that is refused; str() says why, for the log and the 401 body."""


def b64url_encode(data):
    """bytes -> unpadded base64url text."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text):
    """Unpadded base64url text -> bytes.  Raises TokenError on padding, a
    character outside the alphabet or an impossible length."""
    if not _B64URL_RE.match(text) or len(text) % 4 == 1:
        raise TokenError("malformed token (bad base64url)")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _reject_constant(name):
    raise ValueError("non-finite number " + name)


def _json_object(raw, what):
    """Parses raw bytes as one JSON object.  Raises TokenError otherwise."""
    try:
        value = json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
    except (ValueError, RecursionError):
        raise TokenError("malformed token (%s is not JSON)" % what) from None
    if not isinstance(value, dict):
        raise TokenError("malformed token (%s is not an object)" % what)
    return value


def _signature(secret, signing_input):
    return hmac.new(secret, signing_input, hashlib.sha384).digest()


def sign(claims, secret):
    """Returns the compact HS384 JWT of the claims (a dict) under secret
    (bytes).  The caller chooses the claims; nothing is checked here."""
    header = b64url_encode(json.dumps({"alg": ALG, "typ": "JWT"}, separators=(",", ":")).encode())
    payload = b64url_encode(json.dumps(claims, separators=(",", ":")).encode())
    signing_input = (header + "." + payload).encode("ascii")
    return header + "." + payload + "." + b64url_encode(_signature(secret, signing_input))


def _number(claims, name):
    value = claims[name]
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise TokenError("claim %s is not a number" % name)
    return value


def verify(token, secret, now_s):
    """Checks token (str) against secret (bytes) at time now_s (seconds since
    the epoch).  Returns the claims (a dict with a valid ``uid`` and ``exp``).
    Raises TokenError, whose text says what is wrong, for anything else."""
    if not token:
        raise TokenError("missing access_token")
    if len(token) > TOKEN_LEN_MAX:
        raise TokenError("token longer than %d characters" % TOKEN_LEN_MAX)
    parts = token.split(".")
    if len(parts) != 3:
        raise TokenError("malformed token (not three parts)")
    header = _json_object(b64url_decode(parts[0]), "header")
    if header.get("alg") != ALG:
        raise TokenError("alg must be %s" % ALG)
    payload_raw = b64url_decode(parts[1])  # also proves parts[1] is ASCII
    signature = b64url_decode(parts[2])
    expected = _signature(secret, (parts[0] + "." + parts[1]).encode("ascii"))
    if not hmac.compare_digest(expected, signature):
        raise TokenError("bad signature")
    claims = _json_object(payload_raw, "payload")
    uid = claims.get("uid")
    if not isinstance(uid, str) or not UID_RE.match(uid):
        raise TokenError("claim uid missing or not 1-64 characters of [A-Za-z0-9_.@-]")
    if "exp" not in claims:
        raise TokenError("claim exp missing")
    if _number(claims, "exp") <= now_s:
        raise TokenError("token expired")
    if "nbf" in claims and _number(claims, "nbf") > now_s:
        raise TokenError("token not yet valid (nbf)")
    if "iat" in claims:
        _number(claims, "iat")
    return claims
