"""Every read of sweeps, always on behalf of one user (another user's sweep is a 404).

``sweep_detail`` assembles the sweep page's JSON in a fixed number of queries (the sweep,
its members with their runs, their class results, the classes' names); the statistics are
``models_zoo.sweep_stats``'s.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count, Prefetch, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.urls import reverse

from experiments.models import ClassResult, Experiment
from models_zoo import shapes
from models_zoo.sweep_stats import Spread, claims, spread
from sweeps.models import Sweep, SweepMember, sweep_status

Status = Experiment.Status
COUNTED = ("queued", "running", "done", "failed", "cancelled")


def sweep_list(*, user: AbstractBaseUser) -> QuerySet[Sweep]:
    """The user's sweeps, newest first, each with its runs counted by status."""
    counts = {
        f"count_{state}": Count("members", filter=Q(members__experiment__status=state))
        for state in COUNTED
    }
    return (
        Sweep.objects.filter(owner=user)
        .annotate(count_total=Count("members"), **counts)
        .order_by("-created_at", "-id")
    )


def sweep_get(*, user: AbstractBaseUser, pk: int) -> Sweep:
    return get_object_or_404(sweep_list(user=user), pk=pk)


def counts_of(sweep: Sweep) -> dict[str, int]:
    """The runs counted by status, from ``sweep_list``'s annotations."""
    return {
        "total": sweep.count_total,  # type: ignore[attr-defined]
        **{state: getattr(sweep, f"count_{state}") for state in COUNTED},
    }


def status_of(sweep: Sweep) -> str:
    counts = counts_of(sweep)
    statuses = [state for state in COUNTED for _ in range(counts[state])]
    return sweep_status(cancelled=sweep.cancelled, statuses=statuses)


def urls_of(sweep: Sweep) -> dict[str, str]:
    return {
        "page": reverse("sweep-page", args=[sweep.pk]),
        "api": reverse("api:sweep-detail", args=[sweep.pk]),
        "csv": reverse("api:sweep-export-csv", args=[sweep.pk]),
        "json": reverse("api:sweep-export-json", args=[sweep.pk]),
    }


def members_of(sweep: Sweep) -> list[SweepMember]:
    """The sweep's members in order, each with its run and the run's class results."""
    results = ClassResult.objects.defer("image_raw", "snapshots", "extras_raw").order_by("position")
    return list(
        SweepMember.objects.filter(sweep=sweep)
        .select_related("experiment")
        .defer(
            "experiment__trained_on",
            "experiment__history",
            "experiment__training",
            "experiment__cross_r",
            "experiment__timings",
            "experiment__highlight_effects",
        )
        .prefetch_related(Prefetch("experiment__results", queryset=results))
        .order_by("position")
    )


def _class_names(sweep: Sweep, members: list[SweepMember]) -> list[dict[str, str]]:
    """The sweep's classes with their names, as its runs trained on them."""
    keys = list(sweep.config.get("classes", []))
    names: dict[str, str] = {}
    if members:
        copies = (
            Experiment.objects.filter(pk=members[0].experiment_id)
            .values_list("trained_on", flat=True)
            .first()
        )
        names = {item["key"]: item["name"] for item in copies or []}
    for key in keys:
        if key not in names and key in shapes.CATALOGUE:
            names[key] = shapes.CATALOGUE[key].name
    return [{"key": key, "name": names.get(key, key)} for key in keys]


def _fraction(experiment: Experiment) -> float:
    if experiment.status in Experiment.FINISHED:
        return 1.0
    return float((experiment.progress or {}).get("fraction") or 0.0)


def _run_row(member: SweepMember) -> dict[str, Any]:
    experiment = member.experiment
    return {
        "id": experiment.pk,
        "number": experiment.number,
        "seed": member.seed,
        "values": member.values,
        "status": experiment.status,
        "fraction": _fraction(experiment),
        "accuracy": experiment.accuracy,
        "val_accuracy": experiment.val_accuracy,
        "test_accuracy": experiment.test_accuracy,
        "loss": experiment.loss,
        "error": experiment.error,
        "url": reverse("api:experiment-detail", args=[experiment.pk]),
        "classes": [
            {
                "key": result.class_key,
                "name": result.name,
                "r": result.r,
                "image_url": reverse("api:result-image", args=[experiment.pk, result.position]),
                "template_url": reverse(
                    "api:result-template", args=[experiment.pk, result.position]
                ),
            }
            for result in experiment.results.all()
        ],
    }


def _combo_key(values: Mapping[str, Any]) -> str:
    return json.dumps(values, sort_keys=True)


def values_label(values: Mapping[str, Any]) -> str:
    """``model cnn, epochs 5``: a combination of values as the claims name it."""
    return ", ".join(f"{name} {value}" for name, value in values.items()) or "all runs"


def _spread_fields(prefix: str, found: Spread) -> dict[str, Any]:
    return {f"mean_{prefix}": found.mean, f"sd_{prefix}": found.sd}


def _summaries(
    combos: list[tuple[dict[str, Any], list[dict[str, Any]]]], classes: list[dict[str, str]]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    summary: list[dict[str, Any]] = []
    groups: list[dict[str, Any]] = []
    claim_rows: list[dict[str, Any]] = []
    for values, rows in combos:
        finished = [row for row in rows if row["status"] == Status.DONE]
        accuracy = spread(row["accuracy"] for row in finished)
        val_accuracy = spread(row["val_accuracy"] for row in finished)
        test_accuracy = spread(row["test_accuracy"] for row in finished)
        scores = {
            "mean_accuracy": accuracy.mean,
            "sd_accuracy": accuracy.sd,
            "mean_val_accuracy": val_accuracy.mean,
            "sd_val_accuracy": val_accuracy.sd,
            "mean_test_accuracy": test_accuracy.mean,
            "sd_test_accuracy": test_accuracy.sd,
        }
        for item in classes:
            rs = [
                {"seed": row["seed"], "r": result["r"], "experiment": row["id"]}
                for row in finished
                for result in row["classes"]
                if result["key"] == item["key"]
            ]
            found = spread(entry["r"] for entry in rs)
            summary.append(
                {
                    "values": values,
                    "class": item["key"],
                    "class_name": item["name"],
                    **_spread_fields("r", found),
                    "n": found.n,
                    "rs": rs,
                    **scores,
                    "runs": len(rows),
                }
            )
        # A run's mean |r| over its classes, then their spread over the seeds.
        per_run = spread(spread(c["r"] for c in row["classes"]).mean for row in finished)
        groups.append({"values": values, "n": per_run.n, **_spread_fields("r", per_run), **scores})
    if len(combos) > 1:
        for item in classes:
            series = [
                {
                    row["seed"]: next(
                        (c["r"] for c in row["classes"] if c["key"] == item["key"]), None
                    )
                    for row in rows
                    if row["status"] == Status.DONE
                }
                for _, rows in combos
            ]
            for claim in claims(series):
                better, worse = combos[claim.better][0], combos[claim.worse][0]
                claim_rows.append(
                    {
                        "class": item["key"],
                        "class_name": item["name"],
                        "better": better,
                        "worse": worse,
                        "text": f"{values_label(better)} > {values_label(worse)}",
                        "seeds": claim.seeds,
                        "seeds_holding": claim.holding,
                        "share": claim.share,
                        "holds_on_means": claim.holds_on_means,
                    }
                )
    return summary, groups, claim_rows


def _combos(rows: Iterable[dict[str, Any]]) -> list[tuple[dict[str, Any], list[dict[str, Any]]]]:
    """The runs by combination of varied values, in sweep order."""
    found: dict[str, tuple[dict[str, Any], list[dict[str, Any]]]] = {}
    for row in rows:
        found.setdefault(_combo_key(row["values"]), (row["values"], []))[1].append(row)
    return list(found.values())


def sweep_detail(*, user: AbstractBaseUser, pk: int) -> dict[str, Any]:
    """The sweep page's JSON (see docs/sweeps.md): the runs, the summary per combination and
    class, the groups, the claims."""
    sweep = sweep_get(user=user, pk=pk)
    return detail_of(sweep)


def detail_of(sweep: Sweep) -> dict[str, Any]:
    """The detail JSON of a sweep read through ``sweep_list`` (its counts annotated)."""
    members = members_of(sweep)
    classes = _class_names(sweep, members)
    rows = [_run_row(member) for member in members]
    summary, groups, claim_rows = _summaries(_combos(rows), classes)
    counts = counts_of(sweep)
    status = status_of(sweep)
    finished_at = sweep.finished_at
    if finished_at is None and status == "done" and members:
        # Every run has finished; the next drain stamps it on the sweep.
        finished_at = max(m.experiment.finished_at or m.experiment.created_at for m in members)
    fraction = sum(row["fraction"] for row in rows) / len(rows) if rows else 1.0
    return {
        "id": sweep.pk,
        "number": sweep.number,
        "name": sweep.name,
        "status": status,
        "created_at": sweep.created_at,
        "finished_at": finished_at,
        "config": sweep.config,
        "vary": sweep.vary,
        "seeds": sweep.seeds,
        "tag": sweep.tag,
        "counts": counts,
        "fraction": round(fraction, 4),
        "classes": classes,
        "experiments": rows,
        "summary": summary,
        "groups": groups,
        "claims": claim_rows,
        "urls": urls_of(sweep),
    }
