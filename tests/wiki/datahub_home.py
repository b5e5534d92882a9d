"""What UCSD DataHub's pipeline reads from and writes to its wiki's Home.md,
re-implemented from reading its code (github.com/ucsd-ets/datahub-docker-stack;
docs/wiki.md says which files and commits), so that tests can run it against
the Home.md datahub-gen writes. Same inputs, same results, same failures
(an IndexError where theirs raises one, an AssertionError where theirs
asserts); none of their code is copied.
"""


def page_name(reference):
    """fulltag2fn (scripts/utils.py): a manifest page's wiki name."""
    return reference.replace("/", "-").replace(":", "-").replace("ghcr.io", "ghcr-io")


def _image_cell(line):
    """The second cell of a table line, as `line.split('|')[2]` takes it:
    an IndexError for a line with fewer than two `|`."""
    return line.split("|")[2].replace("`", "")


def query_images(history, tag_suffix, tag_prefix):
    """query_images (scripts/utils.py, 2023-): the images of the first line
    (the newest row) that holds `tag_prefix` anywhere and whose image cell
    holds `tag_suffix`. Their global-stable promotion calls it with
    ('stable', '<year>.<quarter>'), their quarter tagging of 2023 with
    (<short hash>, '<year>.<quarter>')."""
    cells = [_image_cell(line) for line in history.split("\n") if tag_prefix in line]
    assert cells, f"No images have tag prefix {tag_prefix} in Home.md"
    rows = [cell.split("<br>") for cell in cells if tag_suffix in cell]
    return rows[0] if rows else []


def query_images_v1(history, commit_tag, keyword):
    """query_images of generation 1 (2021-2022): the first line holding
    `commit_tag`, its image cell's images that hold `keyword`."""
    images = [_image_cell(line).split("<br>") for line in history.split("\n") if commit_tag in line][0]
    found = [image for image in images if keyword in image]
    assert found
    return found


def insert_row(markdown, new_rows):
    """insert_row (scripts/utils.py): every line starting with `|` (after
    white space) is the table; its first two lines the header and delimiter;
    the new rows (tuples of cells, as many as the header has) go right under
    them; the document is joined again with "\\n" (no line end at the end)."""
    lines = markdown.splitlines()
    table = [i for i, line in enumerate(lines) if line.strip() and line.strip()[0] == "|"]
    header = lines[table[0]:table[0] + 2]
    body = lines[table[0] + 2:table[-1] + 1]
    columns = header[0].count("|") - 1
    for row in new_rows:
        assert len(row) == columns and all(isinstance(cell, str) for cell in row)
    table_lines = header + ["|" + "|".join(row) + "|" for row in new_rows] + body
    rest = [line for i, line in enumerate(lines) if i not in table]
    return "\n".join(rest[:table[0]] + table_lines + rest[table[0]:])


def tag_row(repo_url, commit, images):
    """The row their tag workflow adds (update_Home): the commit linked, the
    images in code spans joined by <br>, a [Link] to each image's page, named
    by wiki_doc2link (`:` and `/` as `-`, but ghcr.io left as it is)."""
    def link(image):
        return f"[Link]({repo_url}/wiki/{image.replace(':', '-').replace('/', '-')})"
    return (f"[`{commit}`]({repo_url}/commit/{commit})",
            "<br>".join(f"`{image}`" for image in images),
            "<br>".join(link(image) for image in images))
