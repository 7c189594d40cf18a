"""Server-side map clustering on a Web-Mercator grid.

At zoom z the world is 2^(z+2) x 2^(z+2) cells (4 x 4 cells per 256-pixel tile, so a
cluster covers about 64 px). For zooms up to MAX_AGG_ZOOM the counts live in
ClusterCell rows: the world view of 500k organisations reads a few hundred rows.
Beyond it the screen covers a small area and we group the organisations in the bbox
on the fly. Only confirmed organisations with coordinates are on the map.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.db import transaction
from django.db.models import F

from solidaria.directory.bulk import fast_insert
from solidaria.directory.models import ClusterCell, Organisation

MAX_AGG_ZOOM = 9
MAX_ZOOM = 20
CELL_BITS = 2
MAX_LAT = 85.05112878
POINT_LIMIT = 20000  # beyond MAX_AGG_ZOOM: the most points grouped per request


@dataclass(frozen=True)
class BBox:
    min_lon: float
    min_lat: float
    max_lon: float
    max_lat: float


def cells_per_side(zoom: int) -> int:
    return 1 << (zoom + CELL_BITS)


def project(lat: float, lon: float) -> tuple[float, float]:
    """(x, y) in [0, 1): Web Mercator, y grows southwards."""
    lat = max(-MAX_LAT, min(MAX_LAT, lat))
    x = (lon + 180.0) / 360.0
    rad = math.radians(lat)
    y = (1.0 - math.log(math.tan(rad) + 1.0 / math.cos(rad)) / math.pi) / 2.0
    return min(max(x, 0.0), 1.0 - 1e-12), min(max(y, 0.0), 1.0 - 1e-12)


def cell_of(lat: float, lon: float, zoom: int) -> tuple[int, int]:
    x, y = project(lat, lon)
    n = cells_per_side(zoom)
    return int(x * n), int(y * n)


def cell_bounds(cx: int, cy: int, zoom: int) -> BBox:
    n = cells_per_side(zoom)

    def lat_of(y: float) -> float:
        return math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * y / n))))

    return BBox(cx / n * 360 - 180, lat_of(cy + 1), (cx + 1) / n * 360 - 180, lat_of(cy))


def _project_arrays(lat: np.ndarray, lon: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    lat = np.clip(lat, -MAX_LAT, MAX_LAT)
    x = (lon + 180.0) / 360.0
    rad = np.radians(lat)
    y = (1.0 - np.log(np.tan(rad) + 1.0 / np.cos(rad)) / np.pi) / 2.0
    return np.clip(x, 0.0, 1.0 - 1e-12), np.clip(y, 0.0, 1.0 - 1e-12)


def on_map():  # type: ignore[no-untyped-def]
    return Organisation.objects.filter(status=Organisation.Status.CONFIRMED, latitude__isnull=False)


def rebuild() -> int:
    """Recompute every ClusterCell from the organisations; returns the number of cells."""
    rows = np.array(list(on_map().values_list("id", "latitude", "longitude")), dtype=np.float64)
    cells: list[ClusterCell] = []
    if len(rows):
        ids, lat, lon = rows[:, 0].astype(np.int64), rows[:, 1], rows[:, 2]
        x, y = _project_arrays(lat, lon)
        for zoom in range(MAX_AGG_ZOOM + 1):
            n = cells_per_side(zoom)
            cx, cy = (x * n).astype(np.int64), (y * n).astype(np.int64)
            keys = cx * n + cy
            uniq, first, inverse, counts = np.unique(
                keys, return_index=True, return_inverse=True, return_counts=True
            )
            sum_lat = np.bincount(inverse, weights=lat)
            sum_lon = np.bincount(inverse, weights=lon)
            for i, key in enumerate(uniq.tolist()):
                cells.append(
                    ClusterCell(
                        zoom=zoom,
                        cx=key // n,
                        cy=key % n,
                        count=int(counts[i]),
                        sum_lat=float(sum_lat[i]),
                        sum_lon=float(sum_lon[i]),
                        sample_id=int(ids[first[i]]),
                    )
                )
    with transaction.atomic():
        ClusterCell.objects.all().delete()
        fast_insert(cells)
    return len(cells)


def is_on_map(status: str, lat: float | None, lon: float | None) -> bool:
    return status == Organisation.Status.CONFIRMED and lat is not None and lon is not None


def adjust(
    *,
    org_id: int,
    before: tuple[str, float | None, float | None],
    after: tuple[str, float | None, float | None],
) -> None:
    """Move one organisation between cells after an edit or a status change (inside the
    caller's transaction). `before`/`after` are (status, latitude, longitude)."""
    if before == after:
        return
    if is_on_map(*before):
        _, lat, lon = before
        assert lat is not None and lon is not None
        for zoom in range(MAX_AGG_ZOOM + 1):
            cx, cy = cell_of(lat, lon, zoom)
            ClusterCell.objects.filter(zoom=zoom, cx=cx, cy=cy).update(
                count=F("count") - 1, sum_lat=F("sum_lat") - lat, sum_lon=F("sum_lon") - lon
            )
            cell = ClusterCell.objects.filter(zoom=zoom, cx=cx, cy=cy).first()
            if cell is None:
                continue
            if cell.count <= 0:
                cell.delete()
            elif cell.sample_id == org_id:
                box = cell_bounds(cx, cy, zoom)
                other = (
                    on_map()
                    .exclude(pk=org_id)
                    .filter(
                        latitude__gte=box.min_lat,
                        latitude__lte=box.max_lat,
                        longitude__gte=box.min_lon,
                        longitude__lte=box.max_lon,
                    )
                    .values_list("pk", flat=True)
                    .first()
                )
                ClusterCell.objects.filter(pk=cell.pk).update(sample_id=other)
    if is_on_map(*after):
        _, lat, lon = after
        assert lat is not None and lon is not None
        for zoom in range(MAX_AGG_ZOOM + 1):
            cx, cy = cell_of(lat, lon, zoom)
            updated = ClusterCell.objects.filter(zoom=zoom, cx=cx, cy=cy).update(
                count=F("count") + 1, sum_lat=F("sum_lat") + lat, sum_lon=F("sum_lon") + lon
            )
            if not updated:
                ClusterCell.objects.create(
                    zoom=zoom, cx=cx, cy=cy, count=1, sum_lat=lat, sum_lon=lon, sample_id=org_id
                )


def _cell_ranges(box: BBox, zoom: int) -> tuple[int, int, int, int]:
    x0, y1 = cell_of(box.min_lat, box.min_lon, zoom)
    x1, y0 = cell_of(box.max_lat, box.max_lon, zoom)
    return x0, x1, y0, y1


def clusters(box: BBox, zoom: int) -> list[dict[str, Any]]:
    """Clusters and single points in the box: `{lat, lon, count, id}`; `id` is set when
    the cluster is one organisation (a click opens its page)."""
    zoom = max(0, min(MAX_ZOOM, zoom))
    if zoom <= MAX_AGG_ZOOM:
        x0, x1, y0, y1 = _cell_ranges(box, zoom)
        rows = ClusterCell.objects.filter(
            zoom=zoom, cx__gte=x0, cx__lte=x1, cy__gte=y0, cy__lte=y1, count__gt=0
        ).values_list("count", "sum_lat", "sum_lon", "sample_id")
        return [
            {
                "lat": round(slat / count, 6),
                "lon": round(slon / count, 6),
                "count": count,
                "id": sample if count == 1 else None,
            }
            for count, slat, slon, sample in rows
        ]
    points = list(
        on_map()
        .filter(
            latitude__gte=box.min_lat,
            latitude__lte=box.max_lat,
            longitude__gte=box.min_lon,
            longitude__lte=box.max_lon,
        )
        .values_list("id", "latitude", "longitude")[:POINT_LIMIT]
    )
    return group_points(points, zoom)


def group_points(points: list[tuple[int, float, float]], zoom: int) -> list[dict[str, Any]]:
    """(id, lat, lon) points grouped into the clusters of `zoom`, as `clusters` answers.

    Vectorised (up to POINT_LIMIT points per map request): clusters come in the order of
    their first point, their centre is the mean summed in point order, and a cluster of
    one carries that organisation's id."""
    zoom = max(0, min(MAX_ZOOM, zoom))
    if not points:
        return []
    ids = np.fromiter((p[0] for p in points), dtype=np.int64, count=len(points))
    lat = np.fromiter((p[1] for p in points), dtype=np.float64, count=len(points))
    lon = np.fromiter((p[2] for p in points), dtype=np.float64, count=len(points))
    n = cells_per_side(zoom)
    x, y = _project_arrays(lat, lon)
    keys = (x * n).astype(np.int64) * n + (y * n).astype(np.int64)
    _, first, inverse, counts = np.unique(
        keys, return_index=True, return_inverse=True, return_counts=True
    )
    inverse = inverse.reshape(-1)
    # bincount adds each group's weights in point order, as a running Python sum would
    sum_lat = np.bincount(inverse, weights=lat)
    sum_lon = np.bincount(inverse, weights=lon)
    order = np.argsort(first, kind="stable")
    result = []
    for g in order.tolist():
        count = int(counts[g])
        result.append(
            {
                "lat": round(float(sum_lat[g]) / count, 6),
                "lon": round(float(sum_lon[g]) / count, 6),
                "count": count,
                "id": int(ids[first[g]]) if count == 1 else None,
            }
        )
    return result
