"""`datahub-gen status` and `explain` on the real daemon, ninja and registry:
what they say matches what the next ninja run really does, and the inputs
they list are the ones the test changed.

The sample stack in plan PY39 (4 nodes). Expected states come from the test's
own knowledge of the graph (which image it changed, Stack.descendants), and
are checked against the daemon: the nodes status says will build are exactly
the ones the next ninja builds.
"""

import json

import stack as stacklib
from test_scenarios import assert_built_exactly, generate, ninja


def status(stack, *args):
    """datahub-gen status --json (with the stack's options) -> {node id: entry}."""
    rc, out = stack._run([stack.tool, "status", "--json", *stack.gen_args()[1:], *args], timeout=120)
    assert rc == 0, f"datahub-gen status failed (rc {rc}):\n{out}"
    return {entry["id"]: entry for entry in json.loads(out)["nodes"]}


def explain(stack, node_id, *args):
    rc, out = stack._run([stack.tool, "explain", node_id, *stack.gen_args()[1:], *args], timeout=120)
    assert rc == 0, f"datahub-gen explain {node_id} failed (rc {rc}):\n{out}"
    return out


def test_status_and_explain_say_what_the_next_run_builds_and_why(make_stack, report):
    stack = make_stack(plans=("PY39",), light_tests=True)
    nodes = stack.nodes()
    generate(stack)
    before = status(stack)
    assert {entry["state"] for entry in before.values()} == {"will build"}, before
    assert all("absent from the registry" in entry["reason"] for entry in before.values()), before

    ninja(stack, ["push"])
    built = status(stack)
    assert {entry["state"] for entry in built.values()} == {"up to date locally"}, built
    assert all(entry["tested"] and entry["pushed"] for entry in built.values()), built

    # One committed change in a middle image: it and its descendant will build.
    changed = "datascience-notebook"
    stack.append(f"images/{changed}/packages.txt", "xarray 0.17.0\n")
    stack.write(f"images/{changed}/scripts/added-by-test.sh", "#!/bin/sh\necho added\n")
    stack.git_commit(f"{changed}: add xarray and a script")
    generate(stack)
    after = status(stack)
    rebuilt = stack.descendants(changed)
    for node in nodes:
        entry = after[node.id]
        if node.image not in rebuilt:
            assert entry["state"] == "up to date locally", entry
            continue
        assert entry["state"] == "will build", entry
        assert "absent from the registry" in entry["reason"], entry
    middle = after[f"{changed}/PY39"]
    assert sorted((c["kind"], c["name"]) for c in middle["changes"]) == [
        ("added", f"images/{changed}/scripts/added-by-test.sh"),
        ("modified", f"images/{changed}/packages.txt")], middle["changes"]
    leaf = after["scipy-ml-notebook/PY39"]
    assert leaf["reason"].startswith(f"its parent {changed}/PY39 is rebuilt"), leaf
    assert {c["kind"] for c in leaf["changes"]} == {"build-arg", "parent"}, leaf["changes"]

    text = explain(stack, changed)
    assert f"modified  images/{changed}/packages.txt" in text, text
    assert f"added     images/{changed}/scripts/added-by-test.sh" in text, text
    leaf_text = explain(stack, "scipy-ml-notebook/PY39")
    assert f"(datahub-gen explain {changed}/PY39)" in leaf_text, leaf_text

    # What status said will build is what ninja builds.
    _, _, since, until = ninja(stack)
    head = stack.short_head()
    will_build = [node for node in nodes if after[node.id]["state"] == "will build"]
    assert_built_exactly(stack.builds(since, until), [node.ref_for(head) for node in will_build],
                         "ninja after status")
    report("status", f"will build per status {sorted(n.id for n in will_build)}, built by ninja "
                     f"{len(will_build)}; changes listed for {changed}: {len(middle['changes'])}")


def test_status_after_a_failing_test_and_in_a_fresh_clone(make_stack, report):
    stack = make_stack(plans=("PY39",), light_tests=True)
    failing = "rstudio-notebook"
    stack.write(f"images/{failing}/test/test_fails.py",
                "def test_fails():\n    assert False, 'deliberate (test_status)'\n")
    stack.git_commit("a failing test")
    generate(stack)
    rc, _, _, _ = ninja(stack, ["push"], ["-k", "0"], expect_ok=False)
    assert rc != 0
    states = status(stack)
    entry = states[f"{failing}/PY39"]
    assert entry["state"] == "failed last time" and entry["failed_step"] == "test", entry
    assert "test.log" in entry["reason"], entry
    pushed = [node_id for node_id, e in states.items() if e["pushed"]]
    assert sorted(pushed) == sorted(n.id for n in stack.nodes() if n.image != failing), states

    # A fresh clone knows nothing locally: the registry says what it has.
    clone = stack.root.parent / "clone"
    stack._run(["git", "clone", "-q", str(stack.root), str(clone)], timeout=60)
    fresh = stacklib.Stack(clone, stack.namespace, plans=stack.plans)
    fresh_states = status(fresh)
    for node_id, entry in fresh_states.items():
        expected = "will build" if node_id == f"{failing}/PY39" else "in registry"
        assert entry["state"] == expected, entry
    offline = status(fresh, "--offline")
    assert {e["state"] for e in offline.values()} == {"will build"}, offline
    report("status-fresh", f"after a failing test: {failing}/PY39 'failed last time (test)'; fresh clone: "
                           f"{sum(e['state'] == 'in registry' for e in fresh_states.values())} in registry, "
                           f"1 will build; --offline: all will build")
