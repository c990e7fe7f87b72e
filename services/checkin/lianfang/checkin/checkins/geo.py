"""Where a check-in was made, as far as the staff at the gate need to know: how far from the checkpoint (never where),
and whether its code was read from a picture rather than at the gate."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final

from lianfang.checkin.checkins.schemas import ArrivalWarning
from lianfang.common.contracts.checkpoints import CheckpointConfig

__all__ = ["PICTURE_SCENES", "Whereabouts", "distance_m", "distance_text", "place_warnings", "whereabouts"]

_EARTH_RADIUS_M: Final = 6_371_008.8
# WeChat's launch scenes of a code recognised in a picture: long-pressed in a chat (1012, 1048) or picked from the
# album (1013, 1049), for a QR code and a mini-program code alike. 1011 and 1047 are the camera.
PICTURE_SCENES: Final = frozenset({1012, 1013, 1048, 1049})


@dataclass(frozen=True, slots=True)
class Whereabouts:
    distance_m: int | None = None
    outside_radius: bool | None = None
    accuracy_m: int | None = None
    remote_scan: bool = False


def distance_m(latitude: float, longitude: float, other_latitude: float, other_longitude: float) -> int:
    """Great-circle metres. Both positions are GCJ-02, whose offsets from WGS-84 nearly cancel over a few kilometres."""
    phi1, phi2 = math.radians(latitude), math.radians(other_latitude)
    half_chord = (
        math.sin((phi2 - phi1) / 2) ** 2
        + math.cos(phi1) * math.cos(phi2) * math.sin(math.radians(other_longitude - longitude) / 2) ** 2
    )
    return round(2 * _EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(half_chord))))


def whereabouts(
    checkpoint: CheckpointConfig,
    *,
    latitude: float | None,
    longitude: float | None,
    accuracy: float | None,
    scene: int | None,
) -> Whereabouts:
    """A position counts as outside only when even its accuracy cannot bring it within the checkpoint's radius."""
    remote = scene in PICTURE_SCENES
    position = checkpoint.position
    if position is None or latitude is None or longitude is None:
        return Whereabouts(remote_scan=remote)
    distance = distance_m(position.latitude, position.longitude, latitude, longitude)
    accuracy_m = round(accuracy or 0)
    return Whereabouts(distance, distance > position.radius_m + accuracy_m, accuracy_m, remote)


def distance_text(metres: int) -> str:
    """850 米, 2.3 公里, 15 公里."""
    if metres < 1000:
        return f"{metres} 米"
    kilometres = metres / 1000
    return f"{kilometres:.1f} 公里" if kilometres < 10 else f"{round(kilometres)} 公里"


def place_warnings(place: Whereabouts) -> list[ArrivalWarning]:
    """What staff are told of a check-in made elsewhere: far from the gate, or from a picture of its code."""
    warnings: list[ArrivalWarning] = []
    if place.outside_radius and place.distance_m is not None:
        message = f"距卡口 {distance_text(place.distance_m)}"
        if place.accuracy_m:
            message += f"（定位精度约 {distance_text(place.accuracy_m)}）"
        warnings.append(ArrivalWarning(code="outside_radius", message=message))
    if place.remote_scan:
        warnings.append(ArrivalWarning(code="remote_scan", message="非现场扫码：通过相册或聊天中的图片打开"))
    return warnings
