"""Tests of sibling (they hold for the images built FROM it too)."""


def test_sibling_message_is_the_contexts(image_files, context_file):
    assert image_files["sibling.txt"] == context_file("sibling", "motd.txt")
