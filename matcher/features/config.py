"""The settings that shape feature values, frozen into one object a trained model carries.

A model is fitted on features computed with some commute speed, overhead, default commute limit,
smoothing and embedding model. If a served model read today's settings instead, changing a
setting would silently change every score it gives. So :class:`FeatureConfig` is taken from the
settings once, at fit, saved with the model, and every later feature computation for that model
uses the saved one (``FeatureSpace.of(world, config)``).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, fields

from matcher.settings import get_settings

# Bump when a feature's definition changes so an older artefact is refused rather than misread.
FEATURE_VERSION = 2


@dataclass(frozen=True)
class FeatureConfig:
    commute_speed_kmh: float
    commute_overhead_minutes: float
    default_max_commute_minutes: float
    success_outcomes: tuple[str, ...]
    history_smoothing: float
    embedding_model: str
    version: int = FEATURE_VERSION

    @classmethod
    def from_settings(cls) -> "FeatureConfig":
        s = get_settings()
        return cls(
            commute_speed_kmh=float(s.commute_speed_kmh),
            commute_overhead_minutes=float(s.commute_overhead_minutes),
            default_max_commute_minutes=float(s.default_max_commute_minutes),
            success_outcomes=tuple(s.success_outcomes),
            history_smoothing=float(s.history_smoothing),
            embedding_model=str(s.embedding_model),
        )

    def to_dict(self) -> dict:
        out = asdict(self)
        out["success_outcomes"] = list(self.success_outcomes)
        return out

    @classmethod
    def from_dict(cls, data: dict) -> "FeatureConfig":
        """The config a model was saved with; refuses one written for other feature definitions."""
        known = {f.name for f in fields(cls)}
        missing = sorted(known - set(data) - {"version"})
        if missing:
            raise ValueError(f"feature config: missing field(s) {missing}; the model was saved by an incompatible version")
        version = int(data.get("version", 1))
        if version != FEATURE_VERSION:
            raise ValueError(
                f"feature config: the model's features are version {version}, this matcher computes version "
                f"{FEATURE_VERSION}; retrain the model (`matcher train`)"
            )
        values = {k: v for k, v in data.items() if k in known}
        values["success_outcomes"] = tuple(values["success_outcomes"])
        return cls(**values)
