"""The batch on Dask (``dask.distributed``): a ``LocalCluster`` on this machine, or any running
cluster's scheduler (``--scheduler tcp://host:8786``).

What runs where:
- ``recommend --all --engine dask``: the client loads the world and the champion once, warms the
  retrieval index, and ships that ``Matcher`` to every worker (``Client.scatter(broadcast=True)``;
  the database connection stays behind). The active citizens go in partitions of at most
  ``settings.scale.partition_pairs`` retrieved pairs (``Matcher.partitions``, the same partitions
  as in one process), one task each; a task retrieves, scores and ranks its citizens and returns
  their top K. The parts come back in partition order, so the CSV is the single process's, row
  for row (``tests/test_cluster.py``).
- ``--allocate``: the workers score the pairs (``matcher.plan.plan_pairs``); the min-cost flow is
  solved on the client, on one node: the assignment couples every citizen to every other through
  the places and does not split.
- ``train --engine dask``: the feature matrices of the training and held-out referrals are built
  on the workers (partitions by citizen); the model is fitted on one node. LightGBM fits the
  default world's 108,000 referrals in seconds and a national history of about two million in
  minutes with a few hundred MB; ``lightgbm.dask`` would only pay once a history no longer fits
  one machine's memory, and its distributed fit is not bit-identical to the single-node one,
  which would break the quality gate's comparison of like with like.

Workers need this package and its data (taxonomy, embedding cache) installed, nothing else: no
database or MLflow access.
"""
from __future__ import annotations

from contextlib import contextmanager
from datetime import date
from typing import Iterator

import numpy as np
import pandas as pd

from matcher.settings import get_settings

ENGINES = ("local", "dask")


@contextmanager
def dask_client(scheduler: str | None = None, workers: int | None = None) -> Iterator:
    """A Dask client: of the scheduler at ``scheduler``, else of a new ``LocalCluster`` with
    ``workers`` processes (default ``settings.scale.workers``), one thread and
    ``settings.scale.worker_memory`` each; closed on exit."""
    from distributed import Client, LocalCluster

    if scheduler:
        with Client(scheduler) as client:
            yield client
        return
    s = get_settings().scale
    with LocalCluster(n_workers=workers or s.workers, threads_per_worker=1, processes=True,
                      memory_limit=s.worker_memory, dashboard_address=None) as cluster, Client(cluster) as client:
        yield client


def _ship(client, matcher, as_of, citizens=None) -> tuple:
    matcher.check_switch()  # no suggestions while an admin has switched them off (matcher.switch)
    day, active = matcher.batch_citizens(as_of)
    citizens = active if citizens is None else np.asarray(citizens, dtype=object)
    matcher.retrieval(day)  # warm here once, not on every worker
    return day, matcher.partitions(citizens), client.scatter(matcher, broadcast=True, hash=False)


def _rank_part(matcher, day, citizen_ids, k):
    return matcher.rank_part(day, citizen_ids, k)


def _plan_part(matcher, day, citizen_ids):
    from matcher.plan import PAIR_COLUMNS, plan_pairs

    scored = matcher.score_part(day, citizen_ids)
    return pd.DataFrame(columns=PAIR_COLUMNS) if scored is None else plan_pairs(*scored)


def recommend_all_on(client, matcher, k: int = 10, as_of: date | pd.Timestamp | None = None, citizens=None) -> pd.DataFrame:
    """``Matcher.recommend_all`` on the client's workers: the same rows in the same order.
    ``citizens``: only these (default: every citizen active on the date)."""
    from matcher.service import ALL_COLUMNS, concat_parts

    day, parts, shipped = _ship(client, matcher, as_of, citizens)
    futures = [client.submit(_rank_part, shipped, day, part, k, pure=False) for part in parts]
    return concat_parts(client.gather(futures), ALL_COLUMNS)


def score_pairs_on(client, matcher, as_of: date | pd.Timestamp | None = None) -> tuple[pd.DataFrame, pd.Series]:
    """``matcher.plan.score_pairs`` on the client's workers: the plan's pairs and the free places."""
    from matcher.plan import PAIR_COLUMNS, plan_capacity
    from matcher.service import concat_parts

    day, parts, shipped = _ship(client, matcher, as_of)
    futures = [client.submit(_plan_part, shipped, day, part, pure=False) for part in parts]
    return concat_parts(client.gather(futures), PAIR_COLUMNS), plan_capacity(matcher, day)


class _Shipped:
    """A world and a feature space built from it, travelling together (see ``FeatureSpace.rebind``)."""

    def __init__(self, world, space) -> None:
        self.world, self.space = world, space

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self.space.rebind(self.world)


def _features_part(shipped: _Shipped, frame: pd.DataFrame) -> pd.DataFrame:
    from matcher.features.build import build_features

    return build_features(shipped.world, frame, space=shipped.space)


class DaskFeatures:
    """Builds feature matrices on the client's workers: ``features(world, frame, space)``, the
    drop-in for ``matcher.features.build.build_features`` that training takes."""

    def __init__(self, client) -> None:
        self.client = client
        self._shipped: dict[int, tuple] = {}

    def __call__(self, world, frame: pd.DataFrame, space) -> pd.DataFrame:
        key = id(space)
        if key not in self._shipped or self._shipped[key][0] is not world:
            space.history_for(world)  # built once here, not on every worker
            self._shipped[key] = (world, self.client.scatter(_Shipped(world, space), broadcast=True, hash=False))
        shipped = self._shipped[key][1]
        frame = frame.reset_index(drop=True)
        per_part = max(1, get_settings().scale.partition_pairs)
        # Partitions by citizen: all of a citizen's rows in one part, parts of about per_part rows.
        codes, _ = pd.factorize(frame["citizen_id"], sort=True)
        part_of = np.cumsum(np.bincount(codes))[codes] // per_part
        groups = [np.flatnonzero(part_of == p) for p in np.unique(part_of)]
        futures = [self.client.submit(_features_part, shipped, frame.iloc[rows].reset_index(drop=True), pure=False) for rows in groups]
        features = pd.concat(self.client.gather(futures), ignore_index=True)
        # Back to the frame's row order (part j holds the rows groups[j]).
        return features.iloc[np.argsort(np.concatenate(groups), kind="stable")].reset_index(drop=True)
