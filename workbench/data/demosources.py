"""The demo's sources beyond surveys: public reviews per branch and mystery-shopping audits, with a planted effect.

:func:`generate` writes, for the demo's branches and months, a reviews table in the reviews contract (one row = one
review: response_id, ts, touchpoint, stars 1–5, comment, branch, region, platform, reply, reply_ts) and an audit
table in the mystery-shopping contract (one row = one checklist item of one visit: visit_id, ts, branch, region,
auditor, section, item, touchpoint, points, max_points). Both follow each branch's static effect and monthly
dynamics of the survey's generator, so a branch's compliance, its reviews and its customers' scores go together
across branches. **The planted effect**: in :data:`FALLING_BRANCH` compliance falls by about
:data:`COMPLIANCE_FALL` of the checklist and review stars by about one star over the last
:data:`FALL_MONTHS` months (the survey's answers are left as they are). Pure and seeded: its own generator, so the
survey's numbers do not move when this module changes.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

import numpy as np

from workbench.core.folding import fold

if TYPE_CHECKING:
    import pyarrow as pa

FALLING_BRANCH = "Ostrava-Poruba"  # outside the break's region and the pilot regions: its own story
FALL_MONTHS = 3  # the audits' trend compares a branch's last three months with the three before
VISITS_PER_MONTH = 2  # a mystery shopper's visits per branch and month
COMPLIANCE_FALL = 0.25  # share of the checklist's points lost (about 0.9 → 0.65)
STARS_FALL = 1.4  # stars lost on the latent scale (about one star as shown, the top clipped)
REVIEWS_PER_BRANCH_MONTH = 5.0  # twice that in a big city's branch
APP_REVIEWS_PER_MONTH = 25.0
REPLY_SHARE = 0.55
AUDITORS = ("Auditor A", "Auditor B", "Auditor C", "Auditor D", "Auditor E", "Auditor F")
# (section, touchpoint role, items as (item, max points)); "branch" is the branch's visit touchpoint, "returns" the
# return desk's (the branch's when the journey has none).
CHECKLIST: tuple[tuple[str, str, tuple[tuple[str, float], ...]], ...] = (
    (
        "Welcome",
        "branch",
        (
            ("Greeted within 30 seconds", 1.0),
            ("Staff wore a name badge", 1.0),
            ("Queue shorter than 5 people or a second counter opened", 1.0),
            ("Waiting time told to the customer", 1.0),
        ),
    ),
    (
        "Collection",
        "branch",
        (
            ("Identity checked against the pick-up code", 1.0),
            ("Parcel found within 3 minutes", 1.0),
            ("Parcel condition checked with the customer", 1.0),
            ("Customer offered help carrying a large parcel", 1.0),
            ("Pick-up confirmed by SMS or e-mail", 1.0),
        ),
    ),
    (
        "Returns desk",
        "returns",
        (
            ("Return accepted without a printed label", 1.0),
            ("Refund time explained", 1.0),
            ("Receipt for the return handed over", 1.0),
            ("Return reasons asked politely", 1.0),
        ),
    ),
    (
        "Premises",
        "branch",
        (
            ("Cleanliness of the counter area (0–5)", 5.0),
            ("Opening hours visible from outside", 1.0),
            ("Accessible entrance usable", 1.0),
            ("Overall impression of the visit (0–5)", 5.0),
        ),
    ),
)
# Platforms of branch reviews by the branch's country, and the app stores (about the app/web touchpoint).
BRANCH_PLATFORMS = {"cz": ("Google", "Google", "Heureka"), "pl": ("Google", "Google", "Ceneo")}
APP_PLATFORMS = ("Google Play", "App Store")
_REPLIES = {
    "cz": (
        "Děkujeme za hodnocení, budeme rádi, když nás znovu navštívíte.",
        "Mrzí nás to, ozvěte se nám prosím na zákaznickou linku, situaci vyřešíme.",
        "Děkujeme, předáme kolegům na pobočce.",
    ),
    "pl": (
        "Dziękujemy za opinię, zapraszamy ponownie.",
        "Przykro nam, prosimy o kontakt z infolinią, wyjaśnimy sprawę.",
        "Dziękujemy, przekażemy zespołowi oddziału.",
    ),
}


@dataclass(frozen=True)
class Sources:
    """The generated reviews and audits (see the module's docstring for their columns)."""

    reviews: pa.Table
    audits: pa.Table


def touchpoint_roles(keys: tuple[str, ...], themes: tuple[str, ...], names: tuple[str, ...]) -> dict[str, str]:
    """Which touchpoint a branch visit, its returns desk and the app are: by name, else by theme, else the first."""

    def find(pattern: str, wanted: tuple[str, ...]) -> str:
        by_name = [k for k, n in zip(keys, names) if re.search(pattern, f"{k} {n}".lower())]
        by_theme = [k for k, t in zip(keys, themes) if t in wanted]
        return (by_name or by_theme or list(keys))[0]

    branch = find(r"pick-?up point|collection|branch|visit|store|showroom", ("field", "delivery"))
    returns = next((k for k, t in zip(keys, themes) if t == "refund" and "shipment" in k), None)
    returns = returns or next((k for k, t in zip(keys, themes) if t == "refund"), branch)
    return {"branch": branch, "returns": returns, "app": find(r"\bapp\b|product.page|\bweb\b|website", ("digital",))}


def generate(
    seed: int,
    roles: dict[str, str],
    branch_names: list[str],
    branch_regions: list[str],
    branch_countries: list[str],
    big_city: np.ndarray,
    branch_effect: np.ndarray,
    dynamics: np.ndarray,
    month_dates: list[date],
    phrases: dict[str, dict[str, dict[str, tuple[str, ...]]]],
) -> Sources:
    """Reviews and audits of ``branch_names`` over ``month_dates`` (two visits a month; a ``big_city`` branch gets
    twice the reviews), driven by ``branch_effect``
    (latent CSAT points) and ``dynamics`` (branches × months), texts from ``phrases`` (theme → neg/neu/pos →
    language); ``roles`` from :func:`touchpoint_roles`."""
    rng = np.random.default_rng(seed)
    falling = np.array([name.split(" ")[0] == FALLING_BRANCH for name in branch_names])
    months = len(month_dates)
    fall = np.zeros((len(branch_names), months))
    fall[falling, months - FALL_MONTHS :] = 1.0
    level = 2.0 * branch_effect[:, None] + 1.5 * dynamics  # a branch's standing, month by month
    return Sources(
        _reviews(
            rng, roles, branch_names, branch_regions, branch_countries, big_city, level, fall, month_dates, phrases
        ),
        _audits(rng, roles, branch_names, branch_regions, level, fall, month_dates),
    )


def _reviews(rng, roles, names, regions, countries, big_city, level, fall, month_dates, phrases) -> pa.Table:
    import pyarrow as pa

    rows: dict[str, list] = {k: [] for k in ("response_id", "ts", "touchpoint", "stars", "comment")}
    rows |= {k: [] for k in ("branch", "region", "platform", "reply", "reply_ts")}
    starts = np.array(month_dates, dtype="datetime64[D]")
    for b, name in enumerate(names):
        counts = rng.poisson(REVIEWS_PER_BRANCH_MONTH * (2 if big_city[b] else 1), len(month_dates))
        for m, count in enumerate(counts):
            latent = 4.15 + level[b, m] - STARS_FALL * fall[b, m] + rng.normal(0, 1.05, count)
            for value in latent:
                platform = BRANCH_PLATFORMS[countries[b]][rng.integers(3)]
                _add(rows, rng, starts[m], value, roles["branch"], name, regions[b], platform, countries[b], phrases)
    app_counts = rng.poisson(APP_REVIEWS_PER_MONTH, len(month_dates))
    for m, count in enumerate(app_counts):
        for value in 3.7 + rng.normal(0, 1.3, count):
            language = "cz" if rng.random() < 0.5 else "pl"
            platform = APP_PLATFORMS[rng.integers(2)]
            _add(rows, rng, starts[m], value, roles["app"], None, None, platform, language, phrases)
    order = np.argsort(np.array(rows["ts"], dtype="datetime64[s]"), kind="stable")
    columns = {k: [v[i] for i in order] for k, v in rows.items()}
    return pa.table(
        {
            "response_id": pa.array(columns["response_id"], pa.string()),
            "ts": pa.array(np.array(columns["ts"], dtype="datetime64[us]")),
            "touchpoint": pa.array(columns["touchpoint"], pa.string()),
            "stars": pa.array(columns["stars"], pa.int8()),
            "comment": pa.array(columns["comment"], pa.string()),
            "branch": pa.array(columns["branch"], pa.string()),
            "region": pa.array(columns["region"], pa.string()),
            "platform": pa.array(columns["platform"], pa.string()),
            "reply": pa.array(columns["reply"], pa.string()),
            "reply_ts": pa.array(np.array(columns["reply_ts"], dtype="datetime64[us]")),
        }
    )


def _add(rows, rng, month, value, touchpoint, branch, region, platform, country, phrases) -> None:
    """One review: stars from the latent value, a text fitting them, sometimes a reply a few days later."""
    stars = int(np.clip(np.rint(value), 1, 5))
    when = (
        month + np.timedelta64(int(rng.integers(28)), "D") + np.timedelta64(int(rng.integers(8 * 3600, 21 * 3600)), "s")
    )
    sentiment = "neg" if stars <= 2 else "neu" if stars == 3 else "pos"
    theme = "digital" if branch is None else ("delivery", "generic", "overall")[rng.integers(3)]
    language = "cs" if country == "cz" else "pl"
    pool = phrases[theme][sentiment][language]
    text = pool[rng.integers(len(pool))] if rng.random() < 0.85 else None
    replied = rng.random() < (REPLY_SHARE + (0.25 if stars <= 2 else 0.0))
    key = "|".join(str(part) for part in (platform, branch, when, text, len(rows["ts"])))
    rows["response_id"].append(f"{fold(platform).replace(' ', '-')}:{hashlib.sha1(key.encode()).hexdigest()[:16]}")
    rows["ts"].append(when.astype("datetime64[s]"))
    rows["touchpoint"].append(touchpoint)
    rows["stars"].append(stars)
    rows["comment"].append(text)
    rows["branch"].append(branch)
    rows["region"].append(region)
    rows["platform"].append(platform)
    replies = _REPLIES[country]
    rows["reply"].append(replies[1 if stars <= 2 else rng.integers(3)] if replied else None)
    delay = np.timedelta64(int(rng.exponential(2.5 * 86_400)) + 1800, "s")
    rows["reply_ts"].append((when + delay).astype("datetime64[s]") if replied else np.datetime64("NaT"))


def _audits(rng, roles, names, regions, level, fall, month_dates) -> pa.Table:
    import pyarrow as pa

    items = [(section, roles[role], item, top) for section, role, listed in CHECKLIST for item, top in listed]
    difficulty = rng.normal(0, 0.6, len(items))
    tops = np.array([top for *_rest, top in items])
    starts = np.array(month_dates, dtype="datetime64[D]")
    grid = np.meshgrid(np.arange(len(names)), np.arange(len(month_dates)), np.arange(VISITS_PER_MONTH), indexing="ij")
    branches, months = grid[0].ravel(), grid[1].ravel()
    visits = len(branches)
    visit_effect = rng.normal(0, 0.35, visits)  # one shopper's day: items of a visit go together
    logit = (2.2 + 3.0 * level[branches, months] - 1.8 * fall[branches, months] + visit_effect)[:, None] + difficulty[
        None, :
    ]
    chance = 1 / (1 + np.exp(-logit))
    points = np.where(
        tops[None, :] > 1, rng.binomial(tops.astype(int)[None, :], chance), rng.random(chance.shape) < chance
    )
    not_applicable = rng.random(chance.shape) < 0.03
    day = starts[months] + rng.integers(3, 26, visits).astype("timedelta64[D]")
    when = day.astype("datetime64[s]") + rng.integers(9 * 3600, 18 * 3600, visits).astype("timedelta64[s]")
    visit_ids = [f"V{v + 1:05d}" for v in range(visits)]
    auditors = rng.integers(len(AUDITORS), size=visits)
    keep = ~not_applicable
    v_index, i_index = np.nonzero(keep)
    table = pa.table(
        {
            "visit_id": pa.array([visit_ids[v] for v in v_index], pa.string()),
            "ts": pa.array(when[v_index].astype("datetime64[us]")),
            "branch": pa.array([names[branches[v]] for v in v_index], pa.string()),
            "region": pa.array([regions[branches[v]] for v in v_index], pa.string()),
            "auditor": pa.array([AUDITORS[auditors[v]] for v in v_index], pa.string()),
            "section": pa.array([items[i][0] for i in i_index], pa.string()),
            "item": pa.array([items[i][2] for i in i_index], pa.string()),
            "touchpoint": pa.array([items[i][1] for i in i_index], pa.string()),
            "points": pa.array(points[v_index, i_index].astype(np.float64)),
            "max_points": pa.array(tops[i_index].astype(np.float64)),
        }
    )
    return table.sort_by([("ts", "ascending"), ("visit_id", "ascending")])
