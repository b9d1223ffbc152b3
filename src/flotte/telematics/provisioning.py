"""Box credentials in the MQTT broker's own format.

Production runs Mosquitto, which authenticates each box (username = box id)
against a password file and confines it to its subtree with an ACL file. The
platform keeps box secrets as Mosquitto ``$7$`` hashes (PBKDF2-HMAC-SHA512),
so the operator can write both files from the database at any time without
anyone ever knowing, storing or re-entering a box's secret.

A ``$7$`` line reads ``$7$<iterations>$<base64 salt>$<base64 digest>``;
Mosquitto takes the iteration count from the line itself, so the count chosen
here needs no broker setting.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import logging
import secrets

from flotte.core.tenancy import cross_tenant
from flotte.fleet.models import Box

log = logging.getLogger(__name__)

HASH_PREFIX = "$7$"
SALT_BYTES = 12  # what mosquitto_passwd uses
DIGEST_BYTES = 64  # a full SHA-512 block: what Mosquitto compares
# Box secrets are 192 random bits, so stretching adds no protection against
# guessing, while Mosquitto pays the iterations on every CONNECT (thousands of
# boxes reconnect at once after a broker restart): keep it cheap.
BOX_SECRET_ITERATIONS = 1_000
# The platform's password comes from MQTT_URL and may be chosen by a person;
# the platform connects a handful of times, so it can afford a real cost.
PLATFORM_ITERATIONS = 100_000

TOPIC_ROOT = "flotte/v1/boxes"


def box_secret_hash(secret: str, *, iterations: int = BOX_SECRET_ITERATIONS) -> str:
    """Hash a secret as a Mosquitto password file does (``$7$``), with a
    fresh random salt."""
    if iterations < 1:
        raise ValueError("at least one PBKDF2 iteration")
    salt = secrets.token_bytes(SALT_BYTES)
    digest = hashlib.pbkdf2_hmac("sha512", secret.encode(), salt, iterations, DIGEST_BYTES)
    return f"{HASH_PREFIX}{iterations}${_b64(salt)}${_b64(digest)}"


def is_broker_hash(hashed: str) -> bool:
    """Whether Mosquitto can use this stored hash (a ``$7$`` one)."""
    return _parse(hashed) is not None


def box_secret_matches(hashed: str, secret: str) -> bool:
    """Whether ``secret`` is the one behind ``hashed``, compared in constant
    time. Anything that is not a well-formed ``$7$`` hash (an unusable ``!``,
    a hash of the former Django format) matches nothing."""
    parsed = _parse(hashed)
    if parsed is None:
        return False
    iterations, salt, expected = parsed
    actual = hashlib.pbkdf2_hmac("sha512", secret.encode(), salt, iterations, len(expected))
    return hmac.compare_digest(actual, expected)


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def _parse(hashed: str) -> tuple[int, bytes, bytes] | None:
    if not hashed.startswith(HASH_PREFIX):
        return None
    parts = hashed[len(HASH_PREFIX) :].split("$")
    if len(parts) != 3 or not parts[0].isdigit():
        return None
    try:
        salt = base64.b64decode(parts[1], validate=True)
        digest = base64.b64decode(parts[2], validate=True)
    except (binascii.Error, ValueError):
        return None
    iterations = int(parts[0])
    # Mosquitto drops a line whose salt is not 12 bytes or digest not 64.
    if iterations < 1 or len(salt) != SALT_BYTES or len(digest) != DIGEST_BYTES:
        return None
    return iterations, salt, digest


def _boxes_by_usability() -> tuple[list[tuple[str, str]], list[str]]:
    """(box id, hash) of the boxes Mosquitto can authenticate, and the ids of
    those it cannot (no secret yet, or hashed the old way)."""
    usable: list[tuple[str, str]] = []
    unusable: list[str] = []
    with cross_tenant("broker credentials of every organisation's boxes"):
        rows = Box.objects.order_by("box_id").values_list("box_id", "secret_hash")
        for box_id, hashed in rows:
            if is_broker_hash(hashed):
                usable.append((box_id, hashed))
            else:
                unusable.append(box_id)
    return usable, unusable


def boxes_to_rotate() -> list[str]:
    """Ids of the boxes left out of the broker's password file: each needs
    ``flotte box rotate-secret`` before it can connect."""
    return _boxes_by_usability()[1]


def _check_platform_user(user: str, box_ids: set[str]) -> None:
    if not user or any(c in user for c in ":\n\r\t #+"):
        # ':' ends the name in the password file, Mosquitto trims blanks
        # around names, and it treats a name with a wildcard as dangerous.
        raise ValueError(f"unusable MQTT user name for the platform: {user!r}")
    if user in box_ids:
        raise ValueError(f"the platform's MQTT user {user!r} is also a box id")


def mosquitto_files(platform_user: str, platform_password: str) -> tuple[str, str]:
    """(password file, ACL file) for Mosquitto: one line per box plus the
    platform's user, which reads and writes every box's subtree.

    Boxes whose hash Mosquitto cannot use are left out and logged; list them
    with :func:`boxes_to_rotate`.

    Shared subscriptions (``$share/<group>/flotte/v1/boxes/+/...``) need no
    line of their own: Mosquitto 2.0's ACL file never checks a SUBSCRIBE, it
    checks each message's own topic against the receiver's read rights when
    it delivers it. Hence a box may subscribe to anything, but receives only
    its own subtree (tests/telematics/test_provisioning.py shows both)."""
    usable, unusable = _boxes_by_usability()
    _check_platform_user(platform_user, {box_id for box_id, _ in usable} | set(unusable))
    if not platform_password:
        raise ValueError("the platform's MQTT user needs a password")
    for box_id in unusable:
        log.warning("box %s has no broker password: rotate its secret", box_id)
    passwd = [f"{box_id}:{hashed}" for box_id, hashed in usable]
    passwd.append(
        f"{platform_user}:{box_secret_hash(platform_password, iterations=PLATFORM_ITERATIONS)}"
    )
    acl = [
        "# Written by `flotte box mosquitto-config`: regenerate it, do not edit it.",
        "# A box (username = client id = box id) reads and writes only its own subtree.",
        f"pattern readwrite {TOPIC_ROOT}/%u/#",
        "",
        "# The platform reads and writes every box's subtree, shared subscriptions included.",
        f"user {platform_user}",
        f"topic readwrite {TOPIC_ROOT}/#",
    ]
    return "\n".join(passwd) + "\n", "\n".join(acl) + "\n"
