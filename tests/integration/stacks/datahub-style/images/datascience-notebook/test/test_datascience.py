"""Tests of datascience-notebook (they hold for every image built FROM it).
Its Dockerfile copies this folder into the image: a change here rebuilds it."""


def test_datascience_message_is_the_contexts(image_tree, context_file):
    assert image_tree("/etc/datahub")["datascience.txt"] == context_file("datascience-notebook/motd.txt")


def test_tests_travel_with_the_image(image_tree, context_tree):
    assert image_tree("/opt/tests") == context_tree("datascience-notebook/test")
