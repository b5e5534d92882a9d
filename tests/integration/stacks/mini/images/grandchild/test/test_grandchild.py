"""Tests of grandchild (they hold for the images built FROM it too)."""


def test_grandchild_message_is_the_contexts(image_files, context_file):
    assert image_files["grandchild.txt"] == context_file("grandchild", "motd.txt")
