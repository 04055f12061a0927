"""Keyed hashes of the phone numbers registered on dossiers.

Phones are stored only as HMACs bound to the dossier code, so an ownership check can compare
them but nobody can read them back. The key is DOSSIER_HASH_KEY (generated per machine by
scripts/env.sh).
"""

from __future__ import annotations

import hashlib
import hmac
import os

from knowledge.personal_data import PhoneProof
from knowledge.types import Dossier


class MissingHashKey(RuntimeError):
    """DOSSIER_HASH_KEY is not set: dossiers can be neither imported nor checked."""


def _hash_key() -> bytes:
    # No built-in fallback: a key committed in the code would let anyone who has the hashes try
    # the 10,000 possible last-4 values offline.
    key = os.environ.get("DOSSIER_HASH_KEY")
    if not key:
        raise MissingHashKey("DOSSIER_HASH_KEY is not set: refusing to hash dossier phone numbers (see scripts/env.sh).")
    return key.encode("utf-8")


def keyed_hash(kind: str, code: str, digits: str) -> str:
    # Binding the code in makes equal numbers on two dossiers hash differently (no linking),
    # and the key makes the 10,000 possible last-4 values useless to anyone without it.
    message = f"{kind}|{code}|{digits}".encode("utf-8")
    return hmac.new(_hash_key(), message, hashlib.sha256).hexdigest()


def phone_hashes(code: str, phone: str) -> tuple[str, str]:
    """(hash of the full normalised number, hash of its last 4 digits) for dossier `code`."""
    return keyed_hash("phone", code, phone), keyed_hash("last4", code, phone[-4:])


def proof_matches(dossier: Dossier, proof: PhoneProof) -> bool:
    if proof.is_last4:
        expected, kind = dossier.phone_last4_hash, "last4"
    else:
        expected, kind = dossier.applicant_phone_hash, "phone"
    if not expected:
        return False
    return hmac.compare_digest(expected, keyed_hash(kind, dossier.code, proof.digits))
