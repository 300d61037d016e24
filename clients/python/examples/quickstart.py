"""ImpossibleDB's first example in Python: a document, a query and a transaction.

    clients/python/.venv/bin/python clients/python/examples/quickstart.py

Any Python 3.11+ with `pip install ./clients/python` runs it too. It talks
to IMPOSSIBLEDB_URL, else http://127.0.0.1:8787 (`npm start`'s Worker).
"""

import datetime

import impossibledb

with impossibledb.Client() as db:
    users = db.collection("users")

    # Store a document (replacing any earlier one) and read it back. A
    # datetime (with its timezone) is stored as a timestamp, to the
    # microsecond; an int as an exact 64-bit integer.
    joined = datetime.datetime(2026, 11, 30, 9, 30, 0, 123456, tzinfo=datetime.timezone.utc)
    users.document("user123").set({"name": "Alice", "email": "alice@example.com", "joined": joined, "logins": 2**60})
    user = users.document("user123").get()
    assert user is not None and user.data["joined"] == joined and user.data["logins"] == 2**60
    print(f"users/user123 is {user.data} at version {user.version}")

    # Active users over 21, by last name: the third page of 10.
    query = users.where("age", ">", 21).where("status", "==", "active").order_by("lastName", "asc").limit(10).offset(20)
    print(f"{len(query.get())} users on that page")

    # Read a user, write an order and delete a cart, all or nothing. When
    # another writer changes what was read first, the commit aborts and
    # run_transaction runs the function again.
    def place_order(tx: impossibledb.Transaction) -> None:
        tx.read("users/user123")
        tx.set("orders/order456", {"product": "Widget", "quantity": 5})
        tx.delete("carts/cart789")

    db.run_transaction(place_order)
    order = db.document("orders", "order456").get()
    assert order is not None
    print(f"orders/order456 is {order.data}")
