"""The awaitable methods, driven by plain ``asyncio.run`` (no pytest-asyncio)."""

from __future__ import annotations

import asyncio
import inspect

import pytest

import ssmconf

SCHEMA = """
models:
  default_basic:
    ssm_param: /it/{stage}/models/default_basic
    default: CLAUDE_3_5_SONNET_V2
    allowed: [CLAUDE_3_5_SONNET_V2, CLAUDE_OPUS_4_5, GPT_4O]
  premium:
    ssm_param: /it/{stage}/models/premium
    description: Premium tier
ec2:
  instance_id:
    ssm_param: /it/{stage}/ec2/instance-id
    required: true
training:
  epochs: 3
"""


def test_aget_returns_an_awaitable_with_the_typed_value(make_resolver, seed, stage):
    r = make_resolver(SCHEMA)
    seed(f"/it/{stage}/models/premium", "CLAUDE_OPUS_4_5")

    async def main():
        pending = r.aget("models.premium")
        assert inspect.isawaitable(pending)
        return (
            await pending,
            await r.aget("models.default_basic"),
            await r.aget("ec2.instance_id"),
            await r.aget("ec2.instance_id", "i-caller"),
            await r.aget("models.default_basic", "CALLER"),
            await r.aget("training.epochs"),
        )

    assert asyncio.run(main()) == ("CLAUDE_OPUS_4_5", "CLAUDE_3_5_SONNET_V2", None, "i-caller", "CLAUDE_3_5_SONNET_V2", 3)


def test_aget_returns_the_callers_default_object(make_resolver):
    r = make_resolver(SCHEMA)
    sentinel = object()

    async def main():
        return await r.aget("ec2.instance_id", sentinel)

    assert asyncio.run(main()) is sentinel


def test_arequire(make_resolver, seed, stage):
    r = make_resolver(SCHEMA)

    async def missing():
        await r.arequire("ec2.instance_id")

    with pytest.raises(ssmconf.NotFoundError) as e:
        asyncio.run(missing())
    assert f"/it/{stage}/ec2/instance-id" in str(e.value)

    seed(f"/it/{stage}/ec2/instance-id", "i-async")
    r.invalidate("ec2.instance_id")

    async def found():
        return await r.arequire("ec2.instance_id"), await r.arequire("training.epochs")

    assert asyncio.run(found()) == ("i-async", 3)


def test_unknown_keys_raise_from_the_awaitables(make_resolver):
    r = make_resolver(SCHEMA)

    async def call(method, *args):
        return await getattr(r, method)(*args)

    for method, args in [
        ("aget", ("models.defualt_basic",)),
        ("arequire", ("models.defualt_basic",)),
        ("aexplain", ("models.defualt_basic",)),
        ("aput", ("models.defualt_basic", "GPT_4O")),
    ]:
        with pytest.raises(ssmconf.UnknownKeyError, match="models.default_basic"):
            asyncio.run(call(method, *args))


def test_aexplain(make_resolver, seed, stage):
    r = make_resolver(SCHEMA)
    seed(f"/it/{stage}/models/premium", "GPT_4O")

    async def main():
        return await r.aexplain("models.premium"), await r.aexplain("models.default_basic")

    premium, basic = asyncio.run(main())
    assert isinstance(premium, ssmconf.Resolved)
    assert (premium.key, premium.value, premium.source, premium.version) == ("models.premium", "GPT_4O", "ssm", 1)
    assert premium.description == "Premium tier"
    assert premium.ssm_param == f"/it/{stage}/models/premium"
    assert (basic.source, basic.value) == ("default", "CLAUDE_3_5_SONNET_V2")


def test_aload_all(make_resolver, seed, stage):
    r = make_resolver(SCHEMA)
    seed(f"/it/{stage}/models/premium", "GPT_4O")

    async def main():
        return await r.aload_all(), await r.aload_all()

    first, second = asyncio.run(main())
    assert first == {"loaded": 1, "missing": 2, "failed": 0, "skipped": 0, "shared": 0}
    assert second == {"loaded": 0, "missing": 0, "failed": 0, "skipped": 3, "shared": 0}
    assert r.stats()["ssm_calls"] == 1
    assert r.get("models.premium") == "GPT_4O"
    assert r.stats()["ssm_calls"] == 1


def test_aput_validates_writes_and_reads_back(make_resolver, peek, stage):
    r = make_resolver(SCHEMA)

    async def main():
        before = await r.aget("models.default_basic")
        version = await r.aput("models.default_basic", "GPT_4O")
        after = await r.aget("models.default_basic")
        return before, version, after

    assert asyncio.run(main()) == ("CLAUDE_3_5_SONNET_V2", 1, "GPT_4O")
    assert peek(f"/it/{stage}/models/default_basic")["Value"] == "GPT_4O"

    async def refused():
        await r.aput("models.default_basic", "NOT_A_MODEL")

    with pytest.raises(ssmconf.ValidationError):
        asyncio.run(refused())
    assert peek(f"/it/{stage}/models/default_basic")["Value"] == "GPT_4O", "a refused value is not written"


def test_many_concurrent_agets_with_ttl_zero_all_see_the_value(make_resolver, seed, stage):
    r = make_resolver(SCHEMA, ttl=0)
    seed(f"/it/{stage}/models/premium", "GPT_4O")

    async def main():
        return await asyncio.gather(*(r.aget("models.premium") for _ in range(50)))

    assert asyncio.run(main()) == ["GPT_4O"] * 50
    seed(f"/it/{stage}/models/premium", "CLAUDE_OPUS_4_5")
    assert asyncio.run(main()) == ["CLAUDE_OPUS_4_5"] * 50, "with ttl=0 the next round sees the new value"


def test_fifty_concurrent_agets_of_a_cold_key_make_one_call(make_resolver, seed, stage):
    seed(f"/it/{stage}/models/premium", "GPT_4O")
    r = make_resolver(SCHEMA)

    async def main():
        return await asyncio.gather(*(r.aget("models.premium") for _ in range(50)))

    assert asyncio.run(main()) == ["GPT_4O"] * 50
    stats = r.stats()
    assert stats["ssm_calls"] == 1, f"concurrent readers share one request: {stats}"
    assert stats["hits"] + stats["misses"] >= 50


def test_the_event_loop_runs_while_a_fetch_is_pending(make_resolver, seed, stage):
    seed(f"/it/{stage}/models/premium", "GPT_4O")
    r = make_resolver(SCHEMA)
    ticks = []

    async def ticker():
        for _ in range(1000):
            ticks.append(1)
            await asyncio.sleep(0)

    async def main():
        tick = asyncio.create_task(ticker())
        value = await r.aget("models.premium")
        tick.cancel()
        return value

    assert asyncio.run(main()) == "GPT_4O"
    assert ticks, "other tasks ran while aget awaited the store"


def test_sync_and_async_share_one_cache(make_resolver, seed, stage):
    seed(f"/it/{stage}/models/premium", "GPT_4O")
    r = make_resolver(SCHEMA)
    assert r.get("models.premium") == "GPT_4O"

    async def main():
        return await r.aget("models.premium")

    assert asyncio.run(main()) == "GPT_4O"
    assert r.stats()["ssm_calls"] == 1
    assert r.stats()["hits"] == 1
