"""The quickstart with the asyncio client: the same calls, awaited.

    clients/python/.venv/bin/python clients/python/examples/quickstart_async.py
"""

import asyncio

import impossibledb


async def main() -> None:
    async with impossibledb.AsyncClient() as db:
        accounts = db.collection("accounts")
        await accounts.document("a1").set({"owner": "alice", "balance": 100})

        # Moves 10 out of a1; a conflicting writer makes it run again, with
        # the balance it then reads, so no update is lost.
        async def withdraw(tx: impossibledb.AsyncTransaction) -> int:
            account = await tx.get("accounts/a1")
            assert account is not None
            balance = account.data["balance"]
            assert isinstance(balance, int)
            tx.update("accounts/a1", {"balance": balance - 10})
            return balance - 10

        print(f"accounts/a1 balance is now {await db.run_transaction(withdraw)}")

        async for account in accounts.where("owner", "==", "alice").stream():
            print(f"{account.id}: {account.data}")

        # Balances are ints, stored as exact 64-bit integers: their sum is an int too.
        totals = await accounts.query().aggregate({"n": impossibledb.count(), "total": impossibledb.sum("balance")})
        n, total = totals[0].values["n"], totals[0].values["total"]
        assert isinstance(n, int) and isinstance(total, int)
        print(f"{n} accounts hold {total}")


asyncio.run(main())
