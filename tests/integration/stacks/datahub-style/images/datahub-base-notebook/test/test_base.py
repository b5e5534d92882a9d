"""Tests of datahub-base-notebook (they hold for every image built FROM it).
Its Dockerfile copies nothing from test/: a change here re-runs tests only."""


def test_base_message_is_the_contexts(image_tree, context_file):
    assert image_tree("/etc/datahub")["base.txt"] == context_file("datahub-base-notebook/motd.txt")
