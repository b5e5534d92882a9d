#!/usr/bin/env python3
"""The wiki as DataHub keeps it: `datahub-gen step index` against what
DataHub's own pipeline reads from and writes to Home.md (datahub_home.py, a
re-implementation of their code).

For a Home.md in the shape their pipeline leaves it, a hand-written one and
none at all, the index step adds the pages of a build; then

  * their queries find our images: the newest row of a commit (their quarter
    tagging of 2023 and of generation 1) and, after their tag workflow added
    its row of `-stable` images with their insert_row, the newest stable row
    (their global-stable promotion);
  * every row of theirs is still there, byte for byte, in its order;
  * the index step run again, after their row was added, keeps that row on top
    and changes nothing more; run once more, nothing at all.

    run.py DATAHUB_GEN
"""
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import datahub_home  # noqa: E402

WEB = "https://github.com/example-org/stack-repo"
COMMIT = "1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d"
SHORT = COMMIT[:7]
PREFIX = "2024.2"
IMAGES = [  # parents first, as build.ninja lists the pages
    ("base-nb/PY", f"ghcr.io/example-org/base-nb:{PREFIX}-{SHORT}", "quay.io/jupyter/minimal-notebook:2024-04-01",
     "2026-02-01T10:00:00Z"),
    ("ds-nb/PY", f"ghcr.io/example-org/ds-nb:{PREFIX}-{SHORT}", f"ghcr.io/example-org/base-nb:{PREFIX}-{SHORT}",
     "2026-02-01T10:20:00Z"),
    ("r-nb/PY", f"ghcr.io/example-org/r-nb:{PREFIX}-{SHORT}", f"ghcr.io/example-org/base-nb:{PREFIX}-{SHORT}",
     "2026-02-01T10:10:00Z"),
]

# A Home.md as their pipeline leaves it (the shape its code writes; the
# values are made up): the welcome line, the header, the row their tag
# workflow added for last quarter's stable images, build rows, no line end.
DATAHUB_HOME = "\n".join([
    "Welcome to the stack-repo wiki!",
    "",
    "| Commit | Image | Manifest |",
    "|--------|-------|----------|",
    "|" + "|".join(datahub_home.tag_row(WEB, "77aa001", ["ghcr.io/example-org/base-nb:2024.1-stable",
                                                      "ghcr.io/example-org/ds-nb:2024.1-stable"])) + "|",
    "|" + "|".join(datahub_home.tag_row(WEB, "66bb002", ["ghcr.io/example-org/base-nb:2024.1-main",
                                                      "ghcr.io/example-org/ds-nb:2024.1-main"])) + "|",
    "|" + "|".join(datahub_home.tag_row(WEB, "55cc003", ["ucsdets/base-nb:2023.4-55cc003"])) + "|",
])

failures = []


def check(condition, message):
    if not condition:
        failures.append(message)
        print(f"FAIL: {message}", file=sys.stderr)


def write_pages(folder):
    """Manifest pages as `step manifest` leaves them: the info line last."""
    paths = []
    for node, image, base, created in IMAGES:
        path = os.path.join(folder, "manifests", datahub_home.page_name(image) + ".md")
        with open(path, "w", encoding="utf-8") as page:
            page.write(f"# {image}\n\n<!-- datahub-gen-page node={node} image={image} base={base} "
                       f"created={created} size=1000 commit={COMMIT} -->\n")
        paths.append(path)
    return paths


def run_index(tool, folder, pages, web=True):
    argv = [tool, "step", "index", *[word for page in pages for word in ("--page", page)],
            "--out", os.path.join(folder, "manifests", "Home.md"), "--log", os.path.join(folder, "index.log")]
    if web:
        argv += ["--web-url", WEB]
    result = subprocess.run(argv, capture_output=True, text=True)
    check(result.returncode == 0, f"{' '.join(argv)}: exit {result.returncode}\n{result.stdout}{result.stderr}")
    with open(os.path.join(folder, "manifests", "Home.md"), encoding="utf-8") as home:
        return home.read()


def scenario(tool, name, home_before, web=True):
    ours = [image for _, image, _, _ in IMAGES]
    with tempfile.TemporaryDirectory(prefix="dhg-wiki-") as folder:
        os.makedirs(os.path.join(folder, "manifests"))
        home_path = os.path.join(folder, "manifests", "Home.md")
        if home_before is not None:
            with open(home_path, "w", encoding="utf-8") as home:
                home.write(home_before)
        pages = write_pages(folder)
        text = run_index(tool, folder, pages, web)

        # Their queries, on our Home.md: the row of our commit, stack order.
        check(datahub_home.query_images(text, SHORT, PREFIX) == ours,
              f"{name}: query_images({SHORT!r}, {PREFIX!r}) = {datahub_home.query_images(text, SHORT, PREFIX)}")
        check(datahub_home.query_images_v1(text, SHORT, PREFIX) == ours, f"{name}: generation 1's query")
        # No stable row for this quarter yet: their tag workflow's duplicate check passes.
        check(datahub_home.query_images(text, "stable", PREFIX) == [], f"{name}: a stable row of {PREFIX}?")
        if home_before == DATAHUB_HOME:
            rows = DATAHUB_HOME[DATAHUB_HOME.index("|[`77aa001`]"):]
            check(text.endswith("\n" + rows + "\n"), f"{name}: DataHub's rows are not kept as they were:\n{text}")
            check(text.startswith("Welcome to the stack-repo wiki!\n\n| Commit | Image | Manifest |\n"),
                  f"{name}: the text before the table changed:\n{text}")
            check(datahub_home.query_images(text, "stable", "2024.1") ==
                  ["ghcr.io/example-org/base-nb:2024.1-stable", "ghcr.io/example-org/ds-nb:2024.1-stable"],
                  f"{name}: last quarter's stable row is not found")
        elif home_before:
            check(text.startswith(home_before), f"{name}: the hand-written text is not kept:\n{text}")
        for image in ours:
            link = f"({WEB}/wiki/{datahub_home.page_name(image)})" if web else f"({datahub_home.page_name(image)})"
            check(link in text, f"{name}: no link {link} to the page of {image}:\n{text}")

        # Their tag workflow promotes the quarter: a row of stable images on
        # top (insert_row), read back by the global-stable promotion.
        stable = [image.rsplit(":", 1)[0] + f":{PREFIX}-stable" for image in ours]
        tagged = datahub_home.insert_row(text, [datahub_home.tag_row(WEB, "88dd004", stable)])
        check(datahub_home.query_images(tagged, "stable", PREFIX) == stable, f"{name}: the new stable row")
        with open(home_path, "w", encoding="utf-8") as home:
            home.write(tagged)

        # Our next run keeps their row on top and changes nothing else.
        again = run_index(tool, folder, pages, web)
        check(again == tagged + "\n", f"{name}: the index step changed a Home.md it had nothing to add to:\n"
                                      f"--- before\n{tagged}\n--- after\n{again}")
        check(datahub_home.query_images(again, "stable", PREFIX) == stable, f"{name}: the stable row after our run")
        check(datahub_home.query_images(again, SHORT, PREFIX) == ours, f"{name}: our row after their row")
        check(run_index(tool, folder, pages, web) == again, f"{name}: not idempotent")
        print(f"ok: {name}")


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    tool = sys.argv[1]
    scenario(tool, "DataHub's Home.md", DATAHUB_HOME)
    scenario(tool, "a hand-written Home.md without a table", "# Our wiki\n\nWelcome, written by hand.\n")
    scenario(tool, "no Home.md", None)
    scenario(tool, "no Home.md, no GitHub address", None, web=False)
    if failures:
        sys.exit(f"{len(failures)} failure(s)")


if __name__ == "__main__":
    main()
