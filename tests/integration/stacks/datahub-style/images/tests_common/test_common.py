"""Tests every image of the stack must pass."""


def test_datahub_base_is_underneath(image_tree, context_file):
    assert image_tree("/etc/datahub")["base.txt"] == context_file("datahub-base-notebook/motd.txt")
