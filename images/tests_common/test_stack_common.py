"""Tests every image of the stack must pass, whatever its plan.

Expectations come from images/spec.yml (the `stack` fixture), never from one
hard-coded plan.
"""

import re

from conftest import (LABEL_COMMIT, LABEL_IMAGE, LABEL_KEY, LABEL_PLAN, LABEL_RELEASE,
                      LABEL_REVISION)


def test_default_user_is_jovyan(image, run):
    assert image.attrs["Config"].get("User") == "jovyan", \
        "every image must end with USER jovyan (children switch to root to install)"
    code, out = run(["sh", "-c", "id -un; id -u; id -g"])  # one exec, not three
    assert (code, out.split()) == (0, ["jovyan", "1000", "100"]), out


def test_jovyan_owns_a_writable_home(run):
    assert run(["sh", "-c", "echo $HOME"]) == (0, "/home/jovyan")
    code, out = run(["sh", "-c", "touch \"$HOME/.probe\" && rm \"$HOME/.probe\""], prints=False)
    assert code == 0, out


def test_jovyan_is_in_passwd_once(read_file):
    entries = [line for line in read_file("/etc/passwd").splitlines()
               if line.startswith("jovyan:")]
    assert entries == ["jovyan:x:1000:100:Jupyter user:/home/jovyan:/bin/sh"]


def test_datahub_version_matches_label_and_plan(labels, read_file, stack):
    version = read_file("/etc/datahub/version")
    assert version == labels.get(LABEL_RELEASE), \
        f"/etc/datahub/version and label {LABEL_RELEASE} disagree"
    assert version == stack.inherited_arg("DATAHUB_RELEASE")
    assert version == stack.tag_prefix, \
        f"plan {stack.plan}: release {version!r} is not the tag prefix {stack.tag_prefix!r}"


def test_lineage_matches_spec(read_file, stack):
    """Each image appends its key to /etc/datahub/lineage: the file is the
    depend_on chain of the spec, root first."""
    assert read_file("/etc/datahub/lineage").splitlines() == stack.lineage()


def test_path_finds_the_tools(image, run, stack):
    env = dict(item.split("=", 1) for item in image.attrs["Config"].get("Env") or [])
    assert env.get("PATH", "").startswith("/opt/conda/bin:")
    assert run(["sh", "-c", "command -v python"]) == (0, "/opt/conda/bin/python")
    assert run(["sh", "-c", "command -v start-notebook.sh"]) == \
        (0, "/usr/local/bin/start-notebook.sh")
    tools = "sh ls cat grep sed awk sort head tail id"
    code, out = run(["sh", "-c", f"for t in {tools}; do command -v $t || echo \"missing $t\"; done"])
    assert code == 0 and "missing" not in out, out


def test_python_version_is_the_plans(image, run, stack):
    expected = stack.inherited_arg("PYTHON_VERSION")
    env = dict(item.split("=", 1) for item in image.attrs["Config"].get("Env") or [])
    assert env.get("PYTHON_VERSION") == expected, f"plan {stack.plan}"
    assert run("python --version") == (0, f"Python {expected}")


def test_image_is_not_built_in_a_skipped_plan(stack):
    skipped = stack.images[stack.image_key].get("skip_plans") or []
    assert stack.plan not in skipped


def test_datahub_gen_labels(labels, stack):
    """datahub-gen labels every image with its key, plan, content key and
    source commit; a committed node's tag ends with that commit's first 7 hex
    digits, a dirty node's tag says so."""
    assert labels.get(LABEL_IMAGE) == stack.image_key
    assert labels.get(LABEL_PLAN) == stack.plan
    key = labels.get(LABEL_KEY, "")
    assert re.fullmatch(r"[0-9a-f]{64}", key), f"{LABEL_KEY}={key!r}"
    revision = labels.get(LABEL_REVISION, "")
    assert labels.get(LABEL_COMMIT) == revision
    prefix = stack.tag_prefix + "-" if stack.tag_prefix else ""
    if revision == "dirty":
        assert stack.tag.startswith(prefix + "dirty-"), stack.tag
    else:
        assert re.fullmatch(r"[0-9a-f]{40}", revision), f"{LABEL_REVISION}={revision!r}"
        assert stack.tag == prefix + revision[:7]
