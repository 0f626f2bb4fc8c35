from collections import Counter

import httpx


async def test_every_openapi_operation_has_its_own_id(client: httpx.AsyncClient) -> None:
    """Generated clients name their methods by operation id; a duplicate makes one method shadow another."""
    paths = (await client.get("/openapi.json")).json()["paths"]
    ids = Counter(operation["operationId"] for methods in paths.values() for operation in methods.values())
    assert [id for id, count in ids.items() if count > 1] == []
