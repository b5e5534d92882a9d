"""Tests of scipy-ml-notebook. Its Dockerfile copies manual_check.sh from
this folder into the image."""


def test_scipy_ml_message_is_the_contexts(image_tree, context_file):
    assert image_tree("/etc/datahub")["scipy-ml.txt"] == context_file("scipy-ml-notebook/motd.txt")


def test_manual_check_is_in_the_image(image_tree, context_file):
    expected = {"manual_check.sh": context_file("scipy-ml-notebook/test/manual_check.sh")}
    assert image_tree("/opt/manual_tests") == expected
