"""Tests of base (they hold for the images built FROM it too)."""


def test_base_message_is_the_contexts(image_files, context_file):
    assert image_files["base.txt"] == context_file("base", "motd.txt")
