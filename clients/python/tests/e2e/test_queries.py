"""The seed's query, page walks and aggregations, through both clients."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import impossibledb
from helpers import unique_collection

USER_COUNT = 60


@dataclass(frozen=True)
class User:
    """One document of the scenario, kept as plain data so the expected answer comes from what the server stores."""

    id: str
    last_name: str
    age: int
    status: str


def users() -> list[User]:
    # Last names run against ids, so sorting by lastName is not id order.
    return [
        User(id=f"u{i:02d}", last_name=f"Name{USER_COUNT - 1 - i:02d}", age=15 + i, status="inactive" if i % 4 == 3 else "active")
        for i in range(USER_COUNT)
    ]


async def seed(db: Any, purpose: str) -> Any:
    collection = db.collection(unique_collection(db.flavour, purpose))
    batch = db.batch()
    for u in users():
        batch.set(collection.document(u.id), {"lastName": u.last_name, "age": u.age, "status": u.status})
    await batch.commit()
    return collection


async def test_seed_query_every_way_of_reading_it(db: Any) -> None:
    """age > 21 and status == active, sorted by lastName, skipping 20, at most 10."""
    collection = await seed(db, "query")
    matching = sorted((u for u in users() if u.age > 21 and u.status == "active"), key=lambda u: u.last_name)
    want = [u.id for u in matching[20:30]]
    assert len(want) == 10, "the data must make the limit bite"

    query = collection.where("age", ">", 21).where("status", "==", "active").order_by("lastName", "asc").limit(10).offset(20)
    assert [d.id for d in await query.get()] == want
    assert [d.id async for d in query.stream(page_size=4)] == want

    walked: list[str] = []
    token = ""
    for _ in range(10):
        page = await query.page(page_size=4, page_token=token)
        assert len(page.documents) <= 4
        walked.extend(d.id for d in page.documents)
        token = page.next_page_token
        if not token:
            break
    assert walked == want

    names = await collection.where("age", ">=", 70).order_by("age", "desc").select("lastName").get()
    assert [(d.id, d.data) for d in names] == [("u59", {"lastName": "Name00"}), ("u58", {"lastName": "Name01"}), ("u57", {"lastName": "Name02"}), ("u56", {"lastName": "Name03"}), ("u55", {"lastName": "Name04"})]
    assert [d.id for d in await collection.where("status", "in", ["inactive"]).where("age", "<", 20).get()] == ["u03"]
    # A collection has the query builders too: limit, offset, select and filter each start a query.
    assert [d.id for d in await collection.filter('status = "active" AND age > 21').order_by("lastName", "asc").offset(20).limit(10).get()] == want
    assert [d.id for d in await collection.limit(2).get()] == sorted(u.id for u in users())[:2]
    assert [d.data for d in await collection.select("age").offset(0).limit(1).get()] == [{"age": sorted(users(), key=lambda u: u.id)[0].age}]


async def test_aggregations(db: Any) -> None:
    collection = await seed(db, "aggregate")
    everyone = users()
    [total] = await collection.query().aggregate(
        {
            "n": impossibledb.count(),
            "total": impossibledb.sum("age"),
            "mean": impossibledb.avg("age"),
            "youngest": impossibledb.min("age"),
            "oldest": impossibledb.max("age"),
        }
    )
    assert total.key == []
    assert total.values == {
        "n": USER_COUNT,
        "total": sum(u.age for u in everyone),
        "mean": sum(u.age for u in everyone) / USER_COUNT,
        "youngest": 15,
        "oldest": 15 + USER_COUNT - 1,
    }
    groups = await collection.where("age", ">", 21).aggregate({"n": impossibledb.count(), "oldest": impossibledb.max("age")}, group_by=["status"])
    want = {}
    for status in ("active", "inactive"):
        members = [u.age for u in everyone if u.status == status and u.age > 21]
        want[status] = {"n": len(members), "oldest": max(members)}
    assert {g.key[0]: g.values for g in groups} == want
    assert [g.key for g in groups] == [["active"], ["inactive"]], "groups come ordered by key"


async def test_an_aggregation_refuses_sorts(db: Any) -> None:
    collection = db.collection(unique_collection(db.flavour, "agg_bad"))
    try:
        await collection.order_by("age").aggregate({"n": impossibledb.count()})
    except impossibledb.InvalidArgument as error:
        assert "do not apply" in error.message
    else:
        raise AssertionError("an aggregation with order_by ran")
