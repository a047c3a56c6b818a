"""Seeded, realistic EventBridge rule sets and event streams for the matcher benchmark.

Every rule is anchored on one source, and every source gets the same mix of RULES_PER_SOURCE
rules. The number of sources (and so of distinct detail-types) grows with the rule count, so an
event matches about the same number of rules at every size: more rules means more tenants, not
more overlap. A tenth of the events come from AWS sources that no rule names.
"""

from __future__ import annotations

import json
import math
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

RULES_PER_SOURCE = 10
DETAIL_TYPES_PER_SOURCE = 4
FOREIGN_EVENT_SHARE = 0.1

COMPANIES = (
    "acme",
    "globex",
    "initech",
    "umbrella",
    "hooli",
    "stark",
    "wayne",
    "wonka",
    "tyrell",
    "cyberdyne",
    "soylent",
    "vandelay",
)
DOMAINS = (
    "orders",
    "payments",
    "billing",
    "inventory",
    "shipping",
    "users",
    "auth",
    "catalog",
    "search",
    "reviews",
    "returns",
    "loyalty",
    "pricing",
    "notifications",
    "support",
    "analytics",
    "warehouse",
    "fraud",
    "subscriptions",
    "marketing",
)
COMPONENTS = (
    "api",
    "worker",
    "scheduler",
    "gateway",
    "sync",
    "importer",
    "exporter",
    "ledger",
    "webhooks",
    "batch",
)
QUALIFIERS = (
    "",
    "Draft",
    "Recurring",
    "Partner",
    "Internal",
    "Bulk",
    "Scheduled",
    "Priority",
    "Legacy",
    "Regional",
    "Trial",
    "Premium",
)
ENTITIES = (
    "Order",
    "Payment",
    "Invoice",
    "Refund",
    "Shipment",
    "Customer",
    "Account",
    "Product",
    "Price",
    "Coupon",
    "Cart",
    "Subscription",
    "Review",
    "Ticket",
    "Return",
    "Parcel",
    "Warehouse Slot",
    "Stock Level",
    "Session",
    "Password",
    "Address",
    "Card",
    "Payout",
    "Dispute",
    "Quote",
    "Contract",
    "Report",
    "Campaign",
    "Delivery",
    "Badge",
)
VERBS = (
    "Created",
    "Updated",
    "Deleted",
    "Approved",
    "Rejected",
    "Cancelled",
    "Completed",
    "Failed",
    "Expired",
    "Renewed",
    "Assigned",
    "Escalated",
    "Archived",
    "Restored",
    "Submitted",
    "Verified",
)
STATUSES = (
    "PENDING",
    "ACTIVE",
    "SHIPPED",
    "DELIVERED",
    "FAILED",
    "CANCELLED",
    "REFUNDED",
    "ON_HOLD",
)
TIERS = ("gold", "silver", "bronze", "platinum")
COUNTRIES = ("US", "DE", "FR", "GB", "JP", "BR", "IN", "CA", "AU", "NL")
CITIES = (
    "Seattle",
    "Berlin",
    "Paris",
    "London",
    "Tokyo",
    "Sao Paulo",
    "Mumbai",
    "Toronto",
    "Sydney",
    "Amsterdam",
)
CURRENCIES = ("USD", "EUR", "GBP", "JPY")
CHANNELS = ("web", "mobile", "pos", "partner")
TAGS = ("urgent", "b2b", "gift", "fragile", "express", "bulk", "escalated", "vip", "test")
REGIONS = ("us-east-1", "us-west-2", "eu-west-1", "eu-central-1", "ap-northeast-1")
ACCOUNTS = ("123456789012", "210987654321", "555566667777")
FOREIGN_SOURCES = (
    ("aws.ec2", "EC2 Instance State-change Notification"),
    ("aws.s3", "Object Created"),
    ("aws.health", "AWS Health Event"),
    ("aws.codepipeline", "CodePipeline Pipeline Execution State Change"),
)
EPOCH = datetime(2026, 3, 1, tzinfo=UTC)


@dataclass(frozen=True)
class World:
    """The sources of one rule set and the detail-types each of them emits."""

    sources: tuple[str, ...]
    detail_types: dict[str, tuple[str, ...]]

    @property
    def distinct_detail_types(self) -> int:
        return len({dt for dts in self.detail_types.values() for dt in dts})


@dataclass(frozen=True)
class RuleSet:
    size: int
    world: World
    texts: tuple[str, ...]  # pattern JSON, in rule order
    kinds: tuple[str, ...]  # the generator's kind name of each rule


def build_world(source_count: int, *, seed: int) -> World:
    rng = random.Random(f"{seed}-world")
    names = [f"com.{c}.{d}.{p}" for c in COMPANIES for d in DOMAINS for p in COMPONENTS]
    types = [
        " ".join(w for w in (q, e, v) if w) for q in QUALIFIERS for e in ENTITIES for v in VERBS
    ]
    rng.shuffle(names)
    rng.shuffle(types)
    if source_count > len(names):
        raise ValueError(f"at most {len(names)} sources")
    sources = tuple(names[:source_count])
    step = DETAIL_TYPES_PER_SOURCE
    detail_types = {
        s: tuple(types[(i * step + j) % len(types)] for j in range(step))
        for i, s in enumerate(sources)
    }
    return World(sources, detail_types)


def build_ruleset(size: int, *, seed: int) -> RuleSet:
    world = build_world(math.ceil(size / RULES_PER_SOURCE), seed=seed)
    rng = random.Random(f"{seed}-rules-{size}")
    texts, kinds = [], []
    for i in range(size):
        source = world.sources[i // RULES_PER_SOURCE]
        kind, build = RULE_KINDS[i % RULES_PER_SOURCE]
        pattern = build(rng, source, world.detail_types[source])
        texts.append(json.dumps(pattern, separators=(",", ":")))
        kinds.append(kind)
    return RuleSet(size, world, tuple(texts), tuple(kinds))


def _exact_source(rng: random.Random, s: str, dts: tuple[str, ...]) -> dict[str, Any]:
    return {"source": [s]}


def _exact_detail_type(rng: random.Random, s: str, dts: tuple[str, ...]) -> dict[str, Any]:
    return {"source": [s], "detail-type": [rng.choice(dts)]}


def _status_list(rng: random.Random, s: str, dts: tuple[str, ...]) -> dict[str, Any]:
    return {
        "source": [s],
        "detail-type": rng.sample(dts, 2),
        "detail": {"status": rng.sample(STATUSES, 2)},
    }


def _prefix_ignore_case(rng: random.Random, s: str, dts: tuple[str, ...]) -> dict[str, Any]:
    first_word = rng.choice(dts).split(" ")[0]
    return {
        "source": [s],
        "detail-type": [{"prefix": first_word}],
        "detail": {"customer": {"tier": [{"equals-ignore-case": rng.choice(TIERS).upper()}]}},
    }


def _numeric_range(rng: random.Random, s: str, dts: tuple[str, ...]) -> dict[str, Any]:
    low = rng.choice((0, 10, 50, 100, 250))
    return {
        "source": [s],
        "detail": {
            "amount": [{"numeric": [">=", low, "<", low + rng.choice((50, 100, 400))]}],
            "currency": rng.sample(CURRENCIES, 2),
        },
    }


def _anything_but(rng: random.Random, s: str, dts: tuple[str, ...]) -> dict[str, Any]:
    return {
        "source": [s],
        "detail-type": rng.sample(dts, 2),
        "detail": {
            "status": [{"anything-but": rng.sample(STATUSES, 3)}],
            "channel": [{"anything-but": {"prefix": "part"}}],
        },
    }


def _nested(rng: random.Random, s: str, dts: tuple[str, ...]) -> dict[str, Any]:
    return {
        "source": [s],
        "detail": {
            "customer": {"address": {"country": rng.sample(COUNTRIES, 3)}},
            "channel": [rng.choice(CHANNELS)],
        },
    }


def _exists(rng: random.Random, s: str, dts: tuple[str, ...]) -> dict[str, Any]:
    return {
        "source": [s],
        "detail": {"customer": {"vip": [{"exists": True}]}, "discountCode": [{"exists": False}]},
    }


def _object_array(rng: random.Random, s: str, dts: tuple[str, ...]) -> dict[str, Any]:
    return {
        "source": [s],
        "detail": {
            "items": {
                "sku": [{"prefix": f"SKU-{rng.randint(1, 4)}"}],
                "quantity": [{"numeric": [">=", rng.randint(2, 5)]}],
            }
        },
    }


def _or_scalar_array(rng: random.Random, s: str, dts: tuple[str, ...]) -> dict[str, Any]:
    return {
        "source": [s],
        "region": rng.sample(REGIONS, 3),
        "$or": [
            {"detail": {"tags": rng.sample(TAGS, 2)}},
            {"detail": {"requestPath": [{"wildcard": "/api/v2/*/refunds"}]}},
            {"detail": {"clientIp": [{"cidr": "10.20.0.0/16"}]}},
            {"resources": [{"suffix": f"/{rng.choice(('eu', 'us'))}-archive"}]},
        ],
    }


RULE_KINDS = (
    ("exact source", _exact_source),
    ("exact detail-type", _exact_detail_type),
    ("value list", _status_list),
    ("prefix + equals-ignore-case", _prefix_ignore_case),
    ("numeric range", _numeric_range),
    ("anything-but", _anything_but),
    ("nested fields", _nested),
    ("exists", _exists),
    ("array of objects", _object_array),
    ("$or + scalar array + wildcard/cidr/suffix", _or_scalar_array),
)


def build_events(world: World, count: int, *, seed: int) -> list[dict[str, Any]]:
    rng = random.Random(f"{seed}-events-{len(world.sources)}")
    return [_event(rng, world, i) for i in range(count)]


def _event(rng: random.Random, world: World, index: int) -> dict[str, Any]:
    if rng.random() < FOREIGN_EVENT_SHARE:
        source, detail_type = rng.choice(FOREIGN_SOURCES)
    else:
        source = rng.choice(world.sources)
        detail_type = rng.choice(world.detail_types[source])
    region, account = rng.choice(REGIONS), rng.choice(ACCOUNTS)
    domain = source.split(".")[2] if source.startswith("com.") else source
    return {
        "version": "0",
        "id": _uuid(rng),
        "detail-type": detail_type,
        "source": source,
        "account": account,
        "time": (EPOCH + timedelta(seconds=index * 7)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": region,
        "resources": _resources(rng, region, account, domain),
        "detail": _detail(rng, domain),
    }


def _uuid(rng: random.Random) -> str:
    h = f"{rng.getrandbits(128):032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _resources(rng: random.Random, region: str, account: str, domain: str) -> list[str]:
    kind = rng.choice(("eu-archive", "us-archive", "live", "staging"))
    arns = [f"arn:aws:{domain}:{region}:{account}:store/{rng.randrange(10**6):06d}/{kind}"]
    if rng.random() < 0.4:
        arns.append(f"arn:aws:iam::{account}:role/{domain}-writer")
    return arns


def _detail(rng: random.Random, domain: str) -> dict[str, Any]:
    detail: dict[str, Any] = {
        "orderId": f"ord-{rng.getrandbits(40):010x}",
        "status": rng.choice(STATUSES),
        "amount": round(rng.lognormvariate(4.5, 1.0), 2),
        "currency": rng.choice(CURRENCIES),
        "priority": rng.randint(0, 9),
        "channel": rng.choice(CHANNELS),
        "customer": _customer(rng),
        "items": [_item(rng) for _ in range(rng.randint(1, 4))],
        "tags": rng.sample(TAGS, rng.randint(0, 3)),
        "requestPath": f"/api/v{rng.randint(1, 2)}/{domain}/{rng.choice(('refunds', 'items'))}",
        "clientIp": f"10.{rng.choice((20, 21, 30))}.{rng.randint(0, 255)}.{rng.randint(1, 254)}",
        "metadata": {
            "traceId": f"{rng.getrandbits(64):016x}",
            "schemaVersion": 2,
            "producer": f"{domain}-service",
        },
    }
    if rng.random() < 0.4:
        detail["discountCode"] = rng.choice(("SPRING10", "WELCOME", "LOYAL5"))
    return detail


def _customer(rng: random.Random) -> dict[str, Any]:
    city = rng.randrange(len(CITIES))
    customer: dict[str, Any] = {
        "id": f"cus-{rng.randrange(10**6):06d}",
        "tier": rng.choice(TIERS),
        "address": {
            "city": CITIES[city],
            "country": COUNTRIES[city],
            "postalCode": f"{rng.randrange(10**5):05d}",
        },
    }
    if rng.random() < 0.3:
        customer["vip"] = True
    return customer


def _item(rng: random.Random) -> dict[str, Any]:
    return {
        "sku": f"SKU-{rng.randint(10000, 49999)}",
        "quantity": rng.randint(1, 8),
        "price": round(rng.uniform(1, 200), 2),
    }
