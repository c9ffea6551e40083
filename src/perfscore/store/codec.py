"""What the store writes as text and reads back: decimals by id, a table's ruleset facts, problems.

Shared by :mod:`.ingest` (writing) and :mod:`.history` and :mod:`.review` (reading), so a
value read back is built exactly as it was written. Decimals travel as their exact text.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from perfscore.batch.run import RulesetInfo
from perfscore.errors import Problem


def points_to_json(points: dict[str, Decimal]) -> str:
    return json.dumps({key: str(value) for key, value in points.items()}, ensure_ascii=False)


def points_from_json(text: str) -> dict[str, Decimal]:
    return {key: Decimal(value) for key, value in json.loads(text).items()}


def info_to_json(info: RulesetInfo) -> str:
    data: dict[str, Any] = {
        "id": info.id,
        "name": info.name,
        "name_en": info.name_en,
        "version": info.version,
        "fingerprint": info.fingerprint,
        "scoring_fingerprint": info.scoring_fingerprint,
        "levels": [list(level) for level in info.levels],
        "areas": [list(area) for area in info.areas],
        "grades": [[grade, name_en, str(lowest)] for grade, name_en, lowest in info.grades],
        "places": info.places,
        "combine": info.combine,
    }
    return json.dumps(data, ensure_ascii=False, sort_keys=True)


def info_from_json(text: str) -> RulesetInfo:
    data = json.loads(text)
    return RulesetInfo(
        id=data["id"],
        name=data["name"],
        name_en=data["name_en"],
        version=data["version"],
        fingerprint=data["fingerprint"],
        scoring_fingerprint=data["scoring_fingerprint"],
        levels=tuple((a, b, c) for a, b, c in data["levels"]),
        areas=tuple((a, b, c) for a, b, c in data["areas"]),
        grades=tuple((grade, name_en, Decimal(lowest)) for grade, name_en, lowest in data["grades"]),
        places=data["places"],
        combine=data["combine"],
    )


def problems_to_json(problems: list[Problem]) -> str:
    return json.dumps([{"message": p.message, "file": p.file, "location": p.location, "expected": p.expected} for p in problems], ensure_ascii=False)


def problems_from_json(text: str) -> list[Problem]:
    return [Problem(item["message"], item["file"], item["location"], item["expected"]) for item in json.loads(text)]


__all__ = ["info_from_json", "info_to_json", "points_from_json", "points_to_json", "problems_from_json", "problems_to_json"]
